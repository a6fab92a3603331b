"""Fetch chosen parts of the Hugging Face dataset ``TencentARC/SEED-Bench-R1`` and unpack its media in place.

The hub's exact file names are not known in advance, so the plan is made from the repo's file list:

- annotation files are matched by their base name anywhere in the repo (``validation_L1.jsonl`` ...); the full
  training set (name unknown) is any other ``.jsonl``/``.json`` whose name contains ``train``;
- media are files under a ``videos``/``images`` folder (or archives whose name says video/image/frame/media).
  An archive is assigned to a part by its name: ``val``/``test``/``eval``/``L1``-``L3`` -> validation,
  ``train`` -> training, anything else -> needed by every part. Loose media files are fetched only when an
  annotation of the chosen parts references them.

``huggingface_hub`` does the transfer (resumable; it reads ``HF_TOKEN`` and ``HF_ENDPOINT`` itself). Archives
(zip, tar, tar.gz/tgz, and split parts ``X.zip.001`` / ``X.tar.gz.partaa`` ...) are unpacked once: into a
temp folder, then moved into place, then a marker is written, so a rerun skips them and says so.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
import tarfile
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from seedbench_r1.protocol.annotations import SPLITS
from seedbench_r1.protocol.errors import SeedBenchError

REPO_ID = "TencentARC/SEED-Bench-R1"
PARTS = ("validation", "training_6k", "training_cot", "training_full")
STATE_DIR = ".seedbench_r1"  # markers and unpack temp folders, inside the root

# The annotation files each part needs, by base name (full training: matched by pattern, see full_training_files).
PART_ANNOTATIONS: dict[str, tuple[str, ...]] = {
    "validation": tuple(SPLITS[s].filename for s in ("validation_L1", "validation_L2", "validation_L3")),
    "training_6k": (SPLITS["training_6k"].filename,),
    "training_cot": (SPLITS["training_with_cot_6k"].filename,),
    "training_full": (),
}
PART_MEDIA_GROUP = {
    "validation": "validation",
    "training_6k": "training",
    "training_cot": "training",
    "training_full": "training",
}

_ARCHIVE = re.compile(r"\.(zip|tar|tar\.gz|tgz)$", re.I)
_SPLIT_PART = re.compile(r"^(?P<base>.+\.(?:zip|tar|tar\.gz|tgz))\.(?:part)?(?P<n>\d{1,4}|[a-z]{2})$", re.I)
_SPANNED_ZIP = re.compile(r"\.z\d{2}$", re.I)
_MEDIA_EXT = re.compile(r"\.(mp4|mkv|webm|avi|mov|png|jpe?g)$", re.I)
_VALIDATION_WORDS = re.compile(
    r"(^|[^a-z])(val|valid|validation|test|eval|l1|l2|l3|level\d?)([^a-z]|$)", re.I
)
_TRAIN_WORDS = re.compile(r"train", re.I)


class DownloadError(SeedBenchError):
    """The repo does not hold what a part needs, or an archive cannot be unpacked."""


# --------------------------------------------------------------------------------------------- planning


def parse_parts(value: str | Sequence[str]) -> list[str]:
    """ "validation,training_6k" / "all" -> the list of parts; unknown names raise ValueError."""
    items = value.split(",") if isinstance(value, str) else list(value)
    parts: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if item == "all":
            parts.extend(PARTS)
        elif item in PARTS:
            parts.append(item)
        else:
            raise ValueError(f"unknown part {item!r}; choose from {', '.join(PARTS)} or all")
    if not parts:
        raise ValueError("no part chosen")
    return list(dict.fromkeys(parts))


def is_archive(path: str) -> bool:
    return bool(_ARCHIVE.search(path) or _SPLIT_PART.match(path) or _SPANNED_ZIP.search(path))


def _is_media_path(path: str) -> bool:
    parts = [p.lower() for p in PurePosixPath(path).parts]
    if any(p in ("videos", "video", "images", "image") for p in parts[:-1]):
        return True
    name = parts[-1]
    return is_archive(path) and any(w in name for w in ("video", "image", "frame", "media"))


def media_group(path: str) -> str:
    """ "validation", "training" or "shared" (needed by every part), from the archive's path."""
    name = path.lower()
    if _VALIDATION_WORDS.search(name):
        return "validation"
    if _TRAIN_WORDS.search(name):
        return "training"
    return "shared"


def full_training_files(files: Iterable[str]) -> list[str]:
    """The repository files that can be the full training set (its name is not published): json/jsonl with
    'train' in the name, not one of the known splits, not media. ``distill-cot --split training_full`` too."""
    known = {info.filename for info in SPLITS.values()}
    return sorted(
        f
        for f in files
        if f.lower().endswith((".jsonl", ".json"))
        and PurePosixPath(f).name not in known
        and "train" in PurePosixPath(f).name.lower()
        and not _is_media_path(f)
    )


@dataclass
class Plan:
    parts: list[str]
    annotations: dict[str, str] = field(default_factory=dict)  # repo path -> local name under annotations/
    archives: list[str] = field(default_factory=list)  # repo paths
    media_loose: list[str] = field(default_factory=list)  # loose media referenced by chosen annotations
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def allow_patterns(self) -> list[str]:
        return [_glob_escape(p) for p in sorted({*self.annotations, *self.archives, *self.media_loose})]


def _glob_escape(path: str) -> str:
    # huggingface_hub filters with fnmatch: escape its wildcards so each pattern names exactly one file.
    return re.sub(r"([*?\[])", r"[\1]", path)


def plan_annotations(files: Sequence[str], parts: Sequence[str]) -> Plan:
    """The annotation files and media archives of ``parts``; what is missing is listed in ``plan.missing``."""
    the_plan = Plan(list(parts))
    by_name: dict[str, list[str]] = {}
    for f in files:
        by_name.setdefault(PurePosixPath(f).name, []).append(f)
    for part in parts:
        for name in PART_ANNOTATIONS[part]:
            hits = sorted(by_name.get(name, []), key=lambda p: (not p.startswith("annotations/"), p))
            if not hits:
                the_plan.missing.append(f"{part}: {name}")
                continue
            the_plan.annotations[hits[0]] = name
        if part == "training_full":
            full = full_training_files(files)
            if not full:
                the_plan.missing.append(
                    "training_full: no *.jsonl/*.json with 'train' in its name besides the 6k files"
                )
            for f in full:
                the_plan.annotations[f] = PurePosixPath(f).name
            if full:
                the_plan.notes.append(f"full training set matched by pattern: {', '.join(full)}")
    groups = {PART_MEDIA_GROUP[p] for p in parts} | {"shared"}
    for f in files:
        if is_archive(f) and _is_media_path(f) and media_group(f) in groups:
            the_plan.archives.append(f)
    the_plan.archives.sort()
    return the_plan


def plan_loose_media(the_plan: Plan, files: Sequence[str], root: Path) -> None:
    """Add the loose media files (not archives) that the downloaded annotations reference."""
    from seedbench_r1.data.extract_frames import media_of
    from seedbench_r1.protocol.annotations import load_split

    loose = {f for f in files if _MEDIA_EXT.search(f) and not is_archive(f)}
    if not loose:
        return
    wanted: set[str] = set()
    for name in sorted(set(the_plan.annotations.values())):
        data = load_split(root, name, on_error="skip")
        for record in data:
            wanted.update(rel for _, rel in media_of(record))
    the_plan.media_loose = sorted(wanted & loose)


def describe_repo(files: Sequence[str], limit: int = 40) -> str:
    shown = "\n  ".join(sorted(files)[:limit])
    more = f"\n  ... and {len(files) - limit} more" if len(files) > limit else ""
    return f"{len(files)} files in the repo:\n  {shown}{more}"


# --------------------------------------------------------------------------------------------- hub calls


def _hub_hint() -> str:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    token = "set" if os.environ.get("HF_TOKEN") else "not set"
    return f"(endpoint {endpoint}, HF_TOKEN {token}; HF_ENDPOINT selects a mirror)"


def list_repo_files(repo_id: str = REPO_ID, revision: str | None = None) -> list[str]:
    from huggingface_hub import HfApi

    try:
        return list(HfApi().list_repo_files(repo_id, repo_type="dataset", revision=revision))
    except Exception as exc:  # network, auth, offline mode: one clear message instead of a traceback
        raise DownloadError(f"cannot list the files of dataset {repo_id} {_hub_hint()}: {exc}") from exc


def fetch(root: Path, patterns: list[str], repo_id: str = REPO_ID, revision: str | None = None) -> None:
    """Download exactly these files into ``root`` (huggingface_hub resumes partial files itself)."""
    if not patterns:
        return
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(
            repo_id, repo_type="dataset", revision=revision, local_dir=str(root), allow_patterns=patterns
        )
    except Exception as exc:  # partial files stay; a rerun resumes them
        raise DownloadError(
            f"download from {repo_id} failed {_hub_hint()}: {exc}\nrerun the same command to resume"
        ) from exc


# --------------------------------------------------------------------------------------------- unpacking


class _ConcatFile(io.RawIOBase):
    """Read-only, seekable view of several files back to back (split archives)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._paths = list(paths)
        self._sizes = [p.stat().st_size for p in self._paths]
        self._size = sum(self._sizes)
        self._pos = 0
        self._handles = [open(p, "rb") for p in self._paths]  # noqa: SIM115 - closed in close()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:  # noqa: ANN001 - buffer protocol
        want, done, start = len(buffer), 0, 0
        view = memoryview(buffer)
        for handle, size in zip(self._handles, self._sizes, strict=True):
            if done == want:
                break
            if self._pos < start + size:
                handle.seek(self._pos - start)
                chunk = handle.read(min(want - done, start + size - self._pos))
                view[done : done + len(chunk)] = chunk
                done += len(chunk)
                self._pos += len(chunk)
            start += size
        return done

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        super().close()


@dataclass(frozen=True)
class Archive:
    name: str  # repo path of the archive (first part's base name for split archives)
    parts: tuple[Path, ...]


def group_archives(root: Path, relpaths: Iterable[str]) -> list[Archive]:
    """Archives by name; split parts are grouped under their base name, in part order."""
    singles: list[Archive] = []
    split: dict[str, list[tuple[str, Path]]] = {}
    for rel in sorted(set(relpaths)):
        if _SPANNED_ZIP.search(rel):
            raise DownloadError(
                f"{rel}: spanned zip (.z01 ...) is not supported; join the parts with `zip -s 0 X.zip --out "
                f"joined.zip` and unpack joined.zip"
            )
        m = _SPLIT_PART.match(rel)
        if m:
            split.setdefault(m.group("base"), []).append((m.group("n"), root / rel))
        else:
            singles.append(Archive(rel, (root / rel,)))
    for base, items in split.items():
        # "001" < "002" and "aa" < "ab": plain string order within one naming style
        items.sort(key=lambda x: (len(x[0]), x[0]))
        singles.append(Archive(base, tuple(p for _, p in items)))
    return sorted(singles, key=lambda a: a.name)


def _marker(root: Path, archive: Archive) -> Path:
    return root / STATE_DIR / "unpacked" / f"{archive.name}.json"


def _fingerprint(archive: Archive) -> list[list]:
    return [[p.name, p.stat().st_size] for p in archive.parts]


def is_unpacked(root: Path, archive: Archive) -> bool:
    marker = _marker(root, archive)
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # missing, not UTF-8 / JSON, or hostile nesting
        return False
    if not isinstance(data, dict):  # a marker this code did not write: unpack again
        return False
    # A deleted archive keeps its marker valid (users may delete archives after unpacking to save disk).
    if not all(p.exists() for p in archive.parts):
        return True
    return data.get("parts") == _fingerprint(archive)


def tar_filter_problem() -> str | None:
    """Why tars cannot be unpacked safely on this Python (tarfile's "data" filter came in 3.10.12 / 3.11.4;
    a tar is never unpacked without it), or None."""
    if hasattr(tarfile, "data_filter"):
        return None
    return (
        "unpacking a tar safely needs Python >= 3.10.12 or >= 3.11.4 (tarfile's 'data' filter); "
        f"this is {sys.version.split()[0]}"
    )


def _extract_to(archive: Archive, dest: Path) -> None:
    fileobj = _ConcatFile(archive.parts)
    try:
        buffered = io.BufferedReader(fileobj, buffer_size=1 << 20)
        lower = archive.name.lower()
        if lower.endswith(".zip"):
            with zipfile.ZipFile(buffered) as zf:
                inside = dest.resolve()
                for info in zf.infolist():
                    # A path test, not a string prefix: "../images_evil/x" must not pass for dest "images".
                    if not (dest / info.filename).resolve().is_relative_to(inside):
                        raise DownloadError(f"{archive.name}: member {info.filename!r} escapes the folder")
                zf.extractall(dest)
        else:
            if problem := tar_filter_problem():
                raise DownloadError(f"{archive.name}: {problem}")
            with tarfile.open(fileobj=buffered, mode="r:*") as tf:
                tf.extractall(dest, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise DownloadError(f"cannot unpack {archive.name} ({len(archive.parts)} part(s)): {exc}") from exc
    finally:
        fileobj.close()


def _content_root(extracted: Path, archive: Archive, target: Path) -> tuple[Path, Path]:
    """Where the archive's tree starts and where it goes: strips a top folder repeating the target's name;
    a flat archive named after a video source (``EpicKitchens.zip`` of bare files) goes into that folder."""
    from seedbench_r1.protocol.constants import VIDEO_SOURCES

    entries = [e for e in extracted.iterdir() if not e.name.startswith("__MACOSX")]
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name == target.name:
        return entries[0], target
    stem = _ARCHIVE.sub("", PurePosixPath(archive.name).name)
    if entries and all(e.is_file() for e in entries) and stem in VIDEO_SOURCES:
        return extracted, target / stem
    return extracted, target


def _merge(src: Path, dest: Path) -> int:
    """Move every file of ``src`` into ``dest`` (same relative paths, replacing files). Returns the count."""
    moved = 0
    for dirpath, _dirs, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            os.replace(Path(dirpath) / name, dest / rel / name)
            moved += 1
    return moved


def unpack(root: Path, archive: Archive) -> int:
    """Unpack one archive beside itself (atomic per archive: temp folder, move, marker last)."""
    rel_parent = PurePosixPath(archive.name).parent
    target = root / rel_parent
    tmp = root / STATE_DIR / "tmp" / uuid.uuid4().hex
    tmp.mkdir(parents=True)
    try:
        _extract_to(archive, tmp)
        src, dest = _content_root(tmp, archive, target)
        moved = _merge(src, dest)
        marker = _marker(root, archive)
        marker.parent.mkdir(parents=True, exist_ok=True)
        payload = {"archive": archive.name, "parts": _fingerprint(archive), "files": moved, "into": str(dest)}
        marker_tmp = marker.with_name(marker.name + ".tmp")
        marker_tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        os.replace(marker_tmp, marker)
        return moved
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------- command


@dataclass
class DownloadResult:
    plan: Plan
    unpacked: dict[str, int] = field(default_factory=dict)  # archive -> files
    already: list[str] = field(default_factory=list)


def _place_annotations(root: Path, the_plan: Plan) -> None:
    """Annotation files found outside ``annotations/`` are copied there, where the loader reads them."""
    adir = root / "annotations"
    adir.mkdir(parents=True, exist_ok=True)
    for repo_path, name in the_plan.annotations.items():
        src, dst = root / repo_path, adir / name
        if src.resolve() != dst.resolve() and src.is_file():
            shutil.copyfile(src, dst)


def download(
    root: str | os.PathLike[str],
    parts: Sequence[str],
    *,
    repo_id: str = REPO_ID,
    revision: str | None = None,
    log=print,  # noqa: ANN001 - any print-like callable
) -> DownloadResult:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    files = list_repo_files(repo_id, revision)
    the_plan = plan_annotations(files, parts)
    if the_plan.missing:
        raise DownloadError(
            f"{repo_id}: expected annotation files not found:\n  "
            + "\n  ".join(the_plan.missing)
            + f"\n{describe_repo(files)}"
        )
    for note in the_plan.notes:
        log(note)
    archives_all = group_archives(root, the_plan.archives)
    # Archives already unpacked (marker present) are not fetched again, even if deleted since.
    done = {a.name for a in archives_all if _marker(root, a).is_file() and is_unpacked(root, a)}
    keep = [p for p in the_plan.archives if _archive_base(p) not in done]
    first = Plan(parts=the_plan.parts, annotations=the_plan.annotations, archives=keep)
    log(
        f"fetching {len(first.annotations)} annotation file(s) and {len(keep)} archive file(s) from {repo_id}"
    )
    fetch(root, first.allow_patterns, repo_id, revision)
    _place_annotations(root, the_plan)
    plan_loose_media(the_plan, files, root)
    if the_plan.media_loose:
        log(f"fetching {len(the_plan.media_loose)} loose media files referenced by the annotations")
        fetch(root, [_glob_escape(p) for p in the_plan.media_loose], repo_id, revision)
    result = DownloadResult(the_plan)
    for archive in group_archives(root, the_plan.archives):
        if archive.name in done or is_unpacked(root, archive):
            result.already.append(archive.name)
            continue
        missing = [p for p in archive.parts if not p.is_file()]
        if missing:
            raise DownloadError(
                f"{archive.name}: parts missing after download: {', '.join(map(str, missing))}"
            )
        log(f"unpacking {archive.name} ({len(archive.parts)} part(s))")
        result.unpacked[archive.name] = unpack(root, archive)
    if result.already:
        log(f"already unpacked, skipped: {', '.join(result.already)}")
    if not result.unpacked:
        log("nothing to unpack")
    return result


def _archive_base(path: str) -> str:
    m = _SPLIT_PART.match(path)
    return m.group("base") if m else path


def splits_of_parts(parts: Sequence[str], the_plan: Plan | None = None) -> list[str]:
    """The split names that ``verify`` checks after downloading ``parts``."""
    out: list[str] = []
    for part in parts:
        if part == "validation":
            out += ["validation_L1", "validation_L2", "validation_L3"]
        elif part == "training_6k":
            out.append("training_6k")
        elif part == "training_cot":
            out.append("training_with_cot_6k")
        elif part == "training_full" and the_plan is not None:
            out += [n for r, n in the_plan.annotations.items() if r in full_training_files([r])]
    return list(dict.fromkeys(out))


__all__ = [
    "PARTS",
    "REPO_ID",
    "DownloadError",
    "DownloadResult",
    "Plan",
    "download",
    "group_archives",
    "media_group",
    "parse_parts",
    "plan_annotations",
    "splits_of_parts",
    "unpack",
]
