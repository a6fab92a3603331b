"""``download --dataset longvideobench``: LongVideoBench validation fetched and unpacked (checked by :mod:`.verify`).

The Hugging Face dataset ``longvideobench/LongVideoBench`` is gated (HF_TOKEN of an account that has
accepted its terms). ``lvb_val.json`` is the validation annotation; the clips come in ``videos.tar.part.*``, one
tar split in pieces that holds the validation AND test clips, so evaluating on validation means fetching all of
it. The sizes are read from the repo's file listing and printed before anything is fetched. The transfer, the
resume and the unpacking are SEED-Bench-R1's (:mod:`seedbench_r1.data.download`): ``huggingface_hub`` resumes partial
files, the parts are read back to back in their order (``aa``, ``ab``, ... : what ``cat videos.tar.part.*``
gives, without writing the joined copy), untarred into a temp folder, moved into ``videos/``, and a marker is
written last, so a rerun neither fetches nor unpacks them again. Subtitles (``subtitles.tar``) are not fetched:
the R1 evaluation does not show them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seedbench_r1.data import download as dl
from seedbench_r1.longvideobench.loader import (
    ANNOTATION_FILE,
    VIDEO_FOLDER,
)

LVB_REPO_ID = "longvideobench/LongVideoBench"
PART_PREFIX = "videos.tar.part."
# The joined parts as one archive for download.unpack: it unpacks into the folder of the archive's name and strips
# a top folder repeating that folder's name, so clips land in videos/ whether the tar holds videos/x.mp4 or x.mp4.
ARCHIVE_NAME = f"{VIDEO_FOLDER}/videos.tar"


# --------------------------------------------------------------------------------------------- hub errors


def repo_url(repo_id: str) -> str:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    return f"{endpoint}/datasets/{repo_id}"


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status of a hub error, looking through wrapped causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        status = getattr(getattr(current, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
        current = current.__cause__ or current.__context__
    return None


def _token_state() -> str:
    if os.environ.get("HF_TOKEN"):
        return "HF_TOKEN is set"
    try:
        from huggingface_hub import get_token

        if get_token():
            return "HF_TOKEN is not set; a token saved by `hf auth login` is used"
    except Exception:  # an unreadable token file is the same as none here
        pass
    return "HF_TOKEN is not set and no saved token was found"


def hub_error(action: str, repo_id: str, exc: BaseException) -> dl.DownloadError:
    """One line: for 401/403 what to do about the gate, else the hub's own words and the endpoint."""
    status = _http_status(exc)
    url = repo_url(repo_id)
    if status == 401:
        return dl.DownloadError(
            f"{repo_id} is a gated dataset and the hub refused the request (HTTP 401): the token is missing or "
            f"invalid ({_token_state()}); set HF_TOKEN to a token of an account that has accepted the terms at "
            f"{url}"
        )
    if status == 403:
        return dl.DownloadError(
            f"{repo_id} is a gated dataset and the hub refused the request (HTTP 403): the terms are not "
            f"accepted for this token's account ({_token_state()}); accept them at {url}, or use a token that "
            "may read gated repos"
        )
    text = " ".join(str(exc).splitlines()) or type(exc).__name__
    return dl.DownloadError(f"cannot {action} {repo_id} {dl._hub_hint()}: {text}")


# --------------------------------------------------------------------------------------------- planning


def list_repo_sizes(repo_id: str = LVB_REPO_ID, revision: str | None = None) -> dict[str, int | None]:
    """Every file of the repo and its size in bytes (None where the listing gives none)."""
    from huggingface_hub import HfApi

    try:
        items = list(HfApi().list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True))
    except Exception as exc:  # network, auth, offline mode: one clear line instead of a traceback
        raise hub_error("list the files of", repo_id, exc) from exc
    sizes: dict[str, int | None] = {}
    for item in items:
        if not hasattr(item, "size"):  # a folder
            continue
        size = item.size
        sizes[item.path] = size if isinstance(size, int) else None
    return sizes


def _part_key(path: str) -> tuple[str, int, str]:
    suffix = PurePosixPath(path).name[len(PART_PREFIX) :]
    return (str(PurePosixPath(path).parent), len(suffix), suffix)


@dataclass
class LvbPlan:
    repo_id: str
    annotation: str  # repo path of lvb_val.json
    parts: list[str]  # repo paths of videos.tar.part.*, in concatenation order
    sizes: dict[str, int | None]

    @property
    def files(self) -> list[str]:
        return [self.annotation, *self.parts]

    def size_of(self, paths: list[str]) -> tuple[int, int]:
        """(bytes known, files of unknown size)."""
        known = [self.sizes.get(p) for p in paths]
        return sum(s for s in known if s is not None), sum(1 for s in known if s is None)


def plan_lvb(sizes: dict[str, int | None], *, metadata_only: bool, repo_id: str = LVB_REPO_ID) -> LvbPlan:
    files = sorted(sizes)
    hits = sorted(
        (f for f in files if PurePosixPath(f).name == ANNOTATION_FILE), key=lambda f: (f.count("/"), f)
    )
    parts = sorted((f for f in files if PurePosixPath(f).name.startswith(PART_PREFIX)), key=_part_key)
    missing = [] if hits else [ANNOTATION_FILE]
    if not metadata_only and not parts:
        missing.append(f"{PART_PREFIX}*")
    if len({str(PurePosixPath(p).parent) for p in parts}) > 1:
        raise dl.DownloadError(f"{repo_id}: {PART_PREFIX}* parts in several folders: {', '.join(parts)}")
    if missing:
        raise dl.DownloadError(
            f"{repo_id}: expected files not found: {', '.join(missing)}\n{dl.describe_repo(files)}"
        )
    return LvbPlan(repo_id, hits[0], [] if metadata_only else parts, sizes)


def human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.2f} TB"


def _sized(the_plan: LvbPlan, paths: list[str]) -> str:
    known, unknown = the_plan.size_of(paths)
    return human(known) + (f" + {unknown} file(s) of unknown size" if unknown else "")


def describe_plan(the_plan: LvbPlan, root: Path, *, skip_parts: bool) -> list[str]:
    """What will be fetched and how big it is, from the repo's listing."""
    lines = [f"{the_plan.repo_id}: {the_plan.annotation} {_sized(the_plan, [the_plan.annotation])}"]
    if the_plan.parts:
        first, last = (PurePosixPath(p).name for p in (the_plan.parts[0], the_plan.parts[-1]))
        lines.append(
            f"{the_plan.repo_id}: {first} .. {last}: {len(the_plan.parts)} parts, "
            f"{_sized(the_plan, the_plan.parts)}; the validation clips share them with the test clips, so every "
            "part is fetched"
        )
    todo = [the_plan.annotation] + ([] if skip_parts else the_plan.parts)
    here = [
        p for p in todo if the_plan.sizes.get(p) is not None and _local_size(root / p) == the_plan.sizes[p]
    ]
    known, _ = the_plan.size_of(todo)
    here_bytes, _ = the_plan.size_of(here)
    lines.append(
        f"to fetch: {_sized(the_plan, todo)} in {len(todo)} file(s) ({human(here_bytes)} already complete here)"
    )
    if the_plan.parts and not skip_parts:
        need = (known - here_bytes) + known  # the rest of the parts, then the unpacked clips
        free = shutil.disk_usage(_existing_parent(root)).free
        lines.append(
            f"unpacking writes about as much again into {root / VIDEO_FOLDER} (the parts may be deleted after "
            f"unpacking: a marker keeps them counted); free at {root}: {human(free)}"
        )
        if free < need:
            lines.append(f"warning: about {human(need)} is needed, {human(free)} is free")
    return lines


def _local_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# --------------------------------------------------------------------------------------------- download


@dataclass
class LvbDownloadResult:
    plan: LvbPlan
    unpacked: int | None = None  # files moved into videos/ by this run
    already_unpacked: bool = False


def video_archive(root: Path, the_plan: LvbPlan) -> dl.Archive:
    return dl.Archive(ARCHIVE_NAME, tuple(root / p for p in the_plan.parts))


def download_lvb(
    root: str | os.PathLike[str],
    *,
    metadata_only: bool = False,
    repo_id: str = LVB_REPO_ID,
    revision: str | None = None,
    log: Callable[[str], object] = print,
) -> LvbDownloadResult:
    root = Path(root)
    the_plan = plan_lvb(list_repo_sizes(repo_id, revision), metadata_only=metadata_only, repo_id=repo_id)
    archive = video_archive(root, the_plan)
    # Parts already unpacked (marker present) are not fetched again, even if deleted since.
    done = bool(the_plan.parts) and dl._marker(root, archive).is_file() and dl.is_unpacked(root, archive)
    for line in describe_plan(the_plan, root, skip_parts=done):
        log(line)
    if done:
        log(f"{PART_PREFIX}* already unpacked into {root / VIDEO_FOLDER}: not fetched again")
    root.mkdir(parents=True, exist_ok=True)
    wanted = [the_plan.annotation] + ([] if done else the_plan.parts)
    try:
        dl.fetch(root, [dl._glob_escape(p) for p in wanted], repo_id, revision)
    except dl.DownloadError as exc:
        if _http_status(exc) in (401, 403):
            raise hub_error("download from", repo_id, exc) from exc
        raise
    _place_annotation(root, the_plan.annotation)
    result = LvbDownloadResult(the_plan)
    if not the_plan.parts:
        return result
    if done or dl.is_unpacked(root, archive):
        result.already_unpacked = True
        log(f"already unpacked, skipped: {PART_PREFIX}* ({len(the_plan.parts)} parts)")
        return result
    missing = [str(p) for p in archive.parts if not p.is_file()]
    if missing:
        raise dl.DownloadError(f"parts missing after download: {', '.join(missing)}")
    log(
        f"unpacking {PART_PREFIX}* ({len(archive.parts)} parts, read back to back in order) into "
        f"{root / VIDEO_FOLDER}"
    )
    result.unpacked = dl.unpack(root, archive)
    log(f"unpacked {result.unpacked} file(s)")
    return result


def _place_annotation(root: Path, repo_path: str) -> None:
    """An ``lvb_val.json`` found in a subfolder is copied (atomically) to the root, where the loader reads it."""
    src, dst = root / repo_path, root / ANNOTATION_FILE
    if src.resolve() == dst.resolve() or not src.is_file():
        return
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


__all__ = [
    "LVB_REPO_ID",
    "LvbDownloadResult",
    "LvbPlan",
    "download_lvb",
    "hub_error",
    "list_repo_sizes",
    "plan_lvb",
]
