"""The data files the page includes: JSON inside ``<script src>`` files, safe from any text they carry.

A page opened from disk may not ``fetch()`` its own files, but it may include scripts: each file is one
statement, ``window.SBR1_<NAME> = <JSON>;`` (``meta.js``, ``index.js``) or ``SBR1_CHUNK(<n>, <JSON>);``
(``chunk_<n>.js``, loaded when a sample in it is opened). ``<``, ``>``, ``&`` and the two JavaScript line
separators are written as ``\\uXXXX`` escapes, so no response can close a script or open a tag, even if the
file is ever inlined into the HTML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seedbench_r1.files import write_text

DATA_DIR = "site/data"
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_json(obj: Any) -> str:
    """JSON that is also inert inside HTML and a JavaScript statement."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return text


def write_global(out: Path, name: str, obj: Any) -> Path:
    """``site/data/<name>.js`` setting ``window.SBR1_<NAME>``."""
    return write_text(out / DATA_DIR / f"{name}.js", f"window.SBR1_{name.upper()} = {safe_json(obj)};\n")


def write_chunk(out: Path, n: int, obj: Any) -> Path:
    return write_text(out / DATA_DIR / chunk_name(n), f"SBR1_CHUNK({n}, {safe_json(obj)});\n")


def chunk_name(n: int) -> str:
    return f"chunk_{n:04d}.js"
