"""The tested environments as plain ``name==version`` files, and the installed versions to compare them with.

``locks/cpu.txt`` is what ``make test`` / ``make demo`` / CI install (``pip install --no-deps -r``);
``locks/gpu.txt`` is verl 0.9.1's GPU stack resolved for a CUDA host (``tools/install_gpu.sh``). Both ship in
the wheel so that ``seedbench-r1 doctor`` can compare an installed environment with them. No index or file
URL may appear in them: the format is ``pip freeze``'s, one pin a line, ``#`` comments.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from stat import S_ISREG

LOCK_DIR = Path(__file__).resolve().parents[1] / "locks"  # seedbench_r1/locks/, shipped in the wheel
LOCKS = {"cpu": LOCK_DIR / "cpu.txt", "gpu": LOCK_DIR / "gpu.txt"}
# The project itself is installed editable from the checkout, never from the lock.
PROJECT = "seedbench-r1"

MAX_LOCK_BYTES = 4 << 20  # a lock of a few hundred pins is ~10 KB
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: ``Foo_Bar.baz`` and ``foo-bar-baz`` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: str | Path) -> dict[str, str]:
    """Canonical name -> version. Raises ``ValueError`` naming ``file:line`` for anything but a pin (also a path
    that is no regular file, or over :data:`MAX_LOCK_BYTES`)."""
    pins: dict[str, str] = {}
    path = Path(path)
    # Stdlib only (tools/lock.py loads this file by path, without the package): a regular file within bounds.
    try:
        st = path.stat()
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    if not S_ISREG(st.st_mode):
        raise ValueError(f"{path}: not a regular file")
    if st.st_size > MAX_LOCK_BYTES:
        raise ValueError(f"{path}: {st.st_size:,} bytes, over the {MAX_LOCK_BYTES:,} a lock file may have")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (not UTF-8)") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if match is None:
            raise ValueError(f"{path}:{number}: not a plain 'name==version' pin: {line!r}")
        name = canonical_name(match.group(1))
        if name in pins:
            raise ValueError(f"{path}:{number}: {name} is pinned twice")
        pins[name] = match.group(2)
    return pins


def installed_versions(paths: list[str] | None = None) -> dict[str, str]:
    """Canonical name -> version of every distribution visible on ``paths`` (default ``sys.path``).

    The first distribution found for a name wins, as it does for imports.
    """
    found: dict[str, str] = {}
    for dist in metadata.distributions(**({"path": paths} if paths is not None else {})):
        name = dist.metadata["Name"]
        if not name:
            continue
        found.setdefault(canonical_name(name), dist.version)
    return found


def compare(lock: dict[str, str], installed: dict[str, str]) -> dict[str, list[str]]:
    """What differs between a lock and an environment: ``changed``, ``missing`` (locked, not installed),
    ``extra`` (installed, not locked). The project itself is ignored."""
    installed = {n: v for n, v in installed.items() if n != PROJECT}
    changed = [
        f"{n} {installed[n]} (lock {v})"
        for n, v in sorted(lock.items())
        if n in installed and installed[n] != v
    ]
    missing = [f"{n}=={v}" for n, v in sorted(lock.items()) if n not in installed]
    extra = [f"{n}=={v}" for n, v in sorted(installed.items()) if n not in lock]
    return {"changed": changed, "missing": missing, "extra": extra}
