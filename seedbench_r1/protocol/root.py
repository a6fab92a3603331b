"""Where the dataset lives, and the one rule for turning annotation fields into media paths."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from pathlib import Path

from seedbench_r1.protocol.errors import MediaError

ROOT_ENV = "SEEDBENCH_R1_ROOT"
DEFAULT_ROOT = Path("~/.cache/seedbench_r1/SEED-Bench-R1")


def resolve_root(
    explicit: str | os.PathLike[str] | None = None, *, env: str = ROOT_ENV, default: Path = DEFAULT_ROOT
) -> Path:
    """A dataset root: an explicit argument beats ``$<env>`` (``$SEEDBENCH_R1_ROOT``), which beats ``default``."""
    if explicit is not None and str(explicit) != "":
        chosen = Path(explicit)
    elif os.environ.get(env):
        chosen = Path(os.environ[env])
    else:
        chosen = default
    return chosen.expanduser().absolute()


# The media folders of the dataset root, per kind of media; each holds one folder per video source.
MEDIA_FOLDERS = {"video": "videos", "image": "images"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def media_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a path relative to a media folder, or None when it can.

    THE media path rule: a relative POSIX path that stays inside the folder it is joined to, lexically. So no
    absolute path, no drive letter, no backslash (a Windows separator or an escape, never a file name), no NUL,
    and no ``..`` segment at all, not even one that comes back inside (``a/../b``): a basename belongs to its
    own source folder, and ``../Ego4D/x.mp4`` under ``videos/EpicKitchens/`` would read another source's clip.
    """
    if name == "":
        return "empty media path"
    if "\x00" in name:
        return f"media path {name!r} contains a NUL character"
    if "\\" in name:
        return f"media path {name!r} contains a backslash: use '/' between folders"
    if name.startswith("/"):
        return f"media path {name!r} is absolute: it must be relative to its media folder"
    if _DRIVE.match(name):
        return f"media path {name!r} starts with a drive letter: it must be relative to its media folder"
    if ".." in name.split("/"):
        return (
            f"media path {name!r} escapes its folder: '..' segments are not allowed, even ones that come back"
        )
    return None


def dataset_media_problem(relative: str, kind: str) -> str | None:
    """Why ``relative`` (a path from the dataset root, as CoT rows name their media) cannot name a ``kind``
    ("video" / "image") file, or None: the media path rule, inside ``videos/<source>/`` or ``images/<source>/``."""
    problem = media_name_problem(relative)
    if problem is not None:
        return problem
    folder = MEDIA_FOLDERS[kind]
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if len(parts) < 3 or parts[0] != folder:
        return f"{kind} path {relative!r} must be inside {folder}/<source>/ (relative to the dataset root)"
    return None


def media_path(root: str | os.PathLike[str], relative: str) -> Path:
    """``root / relative`` after the media path rule (:func:`media_name_problem`): stays inside the root.

    Lexical on purpose: a ``videos/`` folder that is a symlink to another disk is a normal way to lay out the
    data, so the check must not resolve symlinks; only the path's own text is judged.
    """
    problem = media_name_problem(relative)
    if problem is not None:
        raise MediaError(f"{problem} (under the dataset root {root})")
    return Path(root) / posixpath.normpath(relative)


def annotation_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / "annotations"


def media_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why a media file a row points at cannot be shown: ``"missing"``, ``"not a regular file"`` or ``"empty
    (0 bytes)"``; None when it is there. The one existence rule of the tasks and ``verify``: a 0-byte clip (a
    download cut short) is as absent as a missing one."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "not found"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return "empty (0 bytes)" if st.st_size == 0 else None
