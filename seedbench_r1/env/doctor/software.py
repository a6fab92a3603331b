"""Checks of the software: Python, the installed versions against the lock and the extras' pins, and the
known traps (filelock 4 with lmms-eval, qwen-vl-utils' video reader, decord)."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from seedbench_r1.env import gpu_host
from seedbench_r1.env.doctor.base import (
    OK,
    PROBLEM,
    WARNING,
    Context,
    Result,
    compare_versions,
    dist_version,
    listed,
    probe_import,
    satisfies,
    version_tuple,
)

# pyproject.toml's requires-python; the installed project's metadata is read first, this is the fallback.
REQUIRES_PYTHON = ">=3.10,<3.13"
# The exact pins of pyproject.toml's `eval` / `train` extras (tests/env/test_doctor.py checks they agree).
PINNED = {
    "lmms-eval": "0.7.3",
    "verl": "0.9.1",
    "transformers": "5.9.0",
    "qwen-vl-utils": "0.0.14",
}
# torch / torchvision are core dependencies with lower bounds only (verl's GPU extras pin torch 2.11.0).
MINIMUM = {"torch": "2.4", "torchvision": "0.19"}
EXTRAS = {
    "eval": ("lmms-eval", "transformers", "qwen-vl-utils"),
    "train": ("verl", "transformers", "qwen-vl-utils"),
}
VLLM_PIN = "0.24.0"  # verl 0.9.1's `vllm` extra
FLASH_ATTN_PIN = "2.8.3"  # verl 0.9.1's `fsdp` extra
DECORD_PIN = "0.6.0"
VIDEO_READER_ENV = "FORCE_QWENVL_VIDEO_READER"


def check_python(ctx: Context) -> Result:
    spec = REQUIRES_PYTHON
    try:  # the installed project's own metadata mirrors pyproject.toml
        spec = metadata.metadata("seedbench-r1").get("Requires-Python") or spec
    except metadata.PackageNotFoundError:
        pass
    version = ".".join(str(p) for p in sys.version_info[:3])
    if satisfies(version, spec):
        from seedbench_r1.data.download import tar_filter_problem

        if tar_filter_problem():
            return Result(
                "python",
                WARNING,
                f"{version} has no tarfile 'data' filter (3.10.12 / 3.11.4 added it): `download` will refuse "
                "to unpack tar archives",
                "use a later patch release of this Python",
            )
        label, lock = lock_path(ctx)
        try:
            mismatch = gpu_host.python_problem(
                sys.version_info[:2], gpu_host.lock_python(lock), sys.executable
            )
        except OSError:
            mismatch = None  # the lock check names an unreadable lock
        if mismatch:
            return Result("python", WARNING, f"{version}: not the {label}'s Python", mismatch)
        return Result("python", OK, f"{version} ({sys.executable}; requires {spec})")
    return Result(
        "python",
        PROBLEM,
        f"{version} is outside requires-python {spec}",
        "use Python 3.10-3.12, e.g. `python3.12 -m venv .venv`",
    )


def lock_path(ctx: Context) -> tuple[str, Path]:
    """(label, path) of the lock to compare with: --lock, else gpu on a GPU host, else cpu."""
    from seedbench_r1.env.locks import LOCKS

    choice = ctx.lock or ("gpu" if ctx.gpu_host else "cpu")
    if choice in LOCKS:
        return f"{choice} lock", LOCKS[choice]
    return "lock", Path(choice).expanduser()


def check_lock(ctx: Context) -> Result:
    from seedbench_r1.env.locks import compare, installed_versions, read_lock

    label, path = lock_path(ctx)
    # A lock the user named is what they asked doctor to check against: one it cannot read is a problem.
    # The shipped one missing (an install without the package data) only limits what doctor can say.
    named = ctx.lock is not None and ctx.lock not in ("cpu", "gpu")
    if not named and not path.is_file():
        return Result(
            "lock",
            WARNING,
            f"{label} {path} not found: cannot compare installed versions with the tested ones",
            "reinstall seedbench-r1 from a checkout that has seedbench_r1/locks/, or pass --lock PATH",
        )
    fix = "pass --lock PATH to a pip-freeze file (name==version lines)"
    try:
        lock = read_lock(path)
    except (OSError, ValueError) as exc:
        return Result("lock", PROBLEM, f"--lock {exc}", fix)  # the reason names the file (and line)
    if not lock:
        return Result("lock", PROBLEM, f"--lock {path}: no pins in it (an empty lock checks nothing)", fix)
    diff = compare(lock, installed_versions())
    changed, missing, extra = diff["changed"], diff["missing"], diff["extra"]
    counts = f"{len(changed)} changed, {len(missing)} missing, {len(extra)} extra"
    named = [f"{kind}: {listed(items)}" for kind, items in diff.items() if items]
    detail = f"{label} {path} ({len(lock)} pins): {counts}" + (f" ({'; '.join(named)})" if named else "")
    # Extra distributions alone are harmless (a user's own tools); different or absent pins are not tested.
    if changed or missing:
        return Result("lock", WARNING, detail, f"pip install --no-deps -r {path}")
    return Result("lock", OK, detail)


def check_frameworks(ctx: Context) -> Result:
    found = {n: dist_version(n) for n in (*PINNED, *MINIMUM)}
    shown = ", ".join(f"{n} {v}" if v else f"{n} -" for n, v in found.items())
    if found["torch"] is None:
        return Result(
            "frameworks", PROBLEM, f"torch not installed ({shown})", "pip install torch torchvision"
        )
    issues: list[str] = []
    fixes: list[str] = []
    for name, pin in PINNED.items():
        have = found[name]
        if have is not None and have != pin:
            issues.append(f"{name} {have} (tested {pin})")
            fixes.append(f"'{name}=={pin}'")
    for name, low in MINIMUM.items():
        have = found[name]
        if have is not None and compare_versions(version_tuple(have), version_tuple(low)) < 0:
            issues.append(f"{name} {have} (needs >= {low})")
            fixes.append(f"'{name}>={low}'")
    # An extra is "present" once its framework is; then its companions must be too.
    partial = []
    for extra, names in EXTRAS.items():
        if found[names[0]] is not None:
            absent = [n for n in names if found[n] is None]
            if absent:
                partial.append(f"{extra} extra incomplete: {', '.join(absent)} missing")
    absent_extras = [e for e, names in EXTRAS.items() if found[names[0]] is None]
    note = ""
    if absent_extras:
        are = "extras are" if len(absent_extras) > 1 else "extra is"
        note = f"; not installed: the {' and '.join(absent_extras)} {are} not present"
    if partial:
        wanted = ",".join(e for e, names in EXTRAS.items() if found[names[0]] is not None)
        return Result(
            "frameworks",
            WARNING,
            f"{'; '.join(partial + issues)} ({shown})",
            f'pip install -e ".[{wanted}]" (lmms-eval and verl in ONE pip call)',
        )
    if issues:
        return Result(
            "frameworks",
            WARNING,
            f"not the tested versions: {'; '.join(issues)} ({shown})",
            f"pip install {' '.join(fixes)}",
        )
    return Result("frameworks", OK, shown + note)


def check_filelock(ctx: Context) -> Result:
    import importlib.util

    lmms = dist_version("lmms-eval")
    version = dist_version("filelock")
    if lmms is None:
        return Result("filelock", OK, f"filelock {version or '-'}; lmms-eval not installed, nothing to check")
    try:  # the real failure: lmms-eval 0.7.3's evaluator imports filelock._api
        has_api = importlib.util.find_spec("filelock._api") is not None
        why = "" if has_api else "filelock._api not found"
    except Exception as exc:  # the parent package itself fails to import
        has_api, why = False, f"import filelock fails: {type(exc).__name__}: {exc}"
    major4 = version is not None and version_tuple(version) >= (4,)
    fix = "pip install 'filelock<4'"
    if not has_api:
        found = f"filelock {version}" if version else "filelock (no metadata)"
        if major4:
            detail = (
                f"{found} with lmms-eval {lmms}: filelock 4.x has no filelock._api, which lmms-eval 0.7.3 "
                f"imports ({why}); every lmms-eval run dies with ModuleNotFoundError"
            )
        else:
            detail = f"{found} with lmms-eval {lmms}: {why}, which lmms-eval 0.7.3 imports"
        return Result("filelock", PROBLEM, detail, fix)
    if major4:
        return Result(
            "filelock",
            WARNING,
            f"filelock {version} with lmms-eval {lmms}: filelock._api is present, but 4.x is untested",
            fix,
        )
    return Result("filelock", OK, f"filelock {version} (filelock._api present) with lmms-eval {lmms}")


TORCHCODEC_PROBE = (
    "import torchcodec._core.ops as ops\n"
    # torchcodec >= 0.9 imports without FFmpeg and records the failure; older ones raise on import.
    "if getattr(ops, '_FFMPEG_AVAILABLE', True) is False:\n"
    "    ops.load_core_libraries()\n"
)


def check_video_reader(ctx: Context) -> Result:
    qvu = dist_version("qwen-vl-utils")
    value = ctx.env.get(VIDEO_READER_ENV)
    fix = f"export {VIDEO_READER_ENV}=decord"
    if qvu is None:
        return Result("video-reader", OK, "qwen-vl-utils not installed: nothing to configure")
    if value == "decord":
        return Result(
            "video-reader", OK, f"{VIDEO_READER_ENV}=decord (qwen-vl-utils {qvu} decodes with decord)"
        )
    import importlib.util

    # qwen-vl-utils 0.0.14's own order: the env var, else torchcodec if importable, else decord, else torchvision.
    if value:
        backend, why = value, f"{VIDEO_READER_ENV}={value}"
    elif importlib.util.find_spec("torchcodec") is not None:
        backend, why = "torchcodec", f"{VIDEO_READER_ENV} unset and torchcodec is installed"
    elif importlib.util.find_spec("decord") is not None:
        backend, why = (
            "decord",
            f"{VIDEO_READER_ENV} unset (decord is picked only while torchcodec is absent)",
        )
    else:
        backend, why = "torchvision", f"{VIDEO_READER_ENV} unset, neither torchcodec nor decord installed"
    if backend == "torchcodec":
        reason = probe_import(TORCHCODEC_PROBE)
        if reason:
            return Result(
                "video-reader",
                PROBLEM,
                f"{why}: qwen-vl-utils {qvu} decodes with torchcodec, which cannot load ({reason}); "
                "every clip fails",
                fix,
            )
        detail = f"{why}: qwen-vl-utils {qvu} decodes with torchcodec, not decord (the protocol's reader)"
    elif backend == "torchvision":
        tv = dist_version("torchvision")
        gone = tv is not None and version_tuple(tv) >= (0, 29)
        detail = f"{why}: qwen-vl-utils falls back to torchvision.io.read_video" + (
            f", which torchvision {tv} removed; every clip fails" if gone else ""
        )
        if gone:
            return Result("video-reader", PROBLEM, detail, f"pip install decord=={DECORD_PIN}; {fix}")
    else:
        detail = f"{why}: qwen-vl-utils {qvu} decodes with {backend}, not pinned to decord"
    return Result("video-reader", WARNING, detail, fix)


def check_decord(ctx: Context) -> Result:
    needed_by = [n for n in ("qwen-vl-utils", "verl") if dist_version(n)]
    version = dist_version("decord")
    try:
        import decord

        error = ""
        version = getattr(decord, "__version__", None) or version
    except Exception as exc:  # ImportError, or OSError from its native library
        error = f"{type(exc).__name__}: {exc}" if version else "not installed"
    fix = f"pip install decord=={DECORD_PIN}"
    if not error:
        return Result("decord", OK, f"decord {version}")
    found = f"decord {version} fails to import ({error})" if version else f"decord {error}"
    if needed_by:
        return Result(
            "decord",
            PROBLEM,
            f"{found}; needed by {' and '.join(needed_by)} (the recipes' video reader)",
            fix,
        )
    # The core's decode_clip uses decord too: verify --decode and extract-frames need it.
    return Result("decord", WARNING, f"{found}; verify --decode and extract-frames need it", fix)
