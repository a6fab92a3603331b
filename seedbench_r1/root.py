"""Where the dataset lives, and the one rule for turning annotation fields into media paths."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from seedbench_r1.errors import MediaError

ROOT_ENV = "SEEDBENCH_R1_ROOT"
DEFAULT_ROOT = Path("~/.cache/seedbench_r1/SEED-Bench-R1")


def resolve_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The dataset root: an explicit argument beats ``$SEEDBENCH_R1_ROOT``, which beats :data:`DEFAULT_ROOT`."""
    if explicit is not None and str(explicit) != "":
        chosen = Path(explicit)
    elif os.environ.get(ROOT_ENV):
        chosen = Path(os.environ[ROOT_ENV])
    else:
        chosen = DEFAULT_ROOT
    return chosen.expanduser().absolute()


def media_path(root: str | os.PathLike[str], relative: str) -> Path:
    """``root / relative`` after a lexical check that ``relative`` stays inside the root.

    Lexical on purpose: a ``videos/`` folder that is a symlink to another disk is a normal way to lay out the
    data, so the check must not resolve symlinks; only ``..`` segments and absolute paths can escape.
    """
    rel = relative.replace("\\", "/")
    if rel == "" or rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise MediaError(f"media path {relative!r} must be relative to the dataset root")
    normal = posixpath.normpath(rel)
    if normal == ".." or normal.startswith("../"):
        raise MediaError(f"media path {relative!r} escapes the dataset root {root}")
    return Path(root) / normal


def annotation_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / "annotations"
