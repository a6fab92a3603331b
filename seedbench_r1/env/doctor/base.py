"""What every doctor check shares: the statuses, the result line, the context (the user's choices, probes run
at most once), version helpers and subprocess probes with a timeout."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata

OK, WARNING, PROBLEM = "ok", "warning", "problem"

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

    @functools.cached_property
    def libcuda(self) -> int | None:
        from seedbench_r1.env.gpu_host import libcuda_version

        return libcuda_version()

    @functools.cached_property
    def compute_capabilities(self) -> list[tuple[int, int]]:
        return query_compute_capabilities() if self.smi.gpus else []

    @property
    def gpu_host(self) -> bool:
        return bool(self.smi.gpus) or self.torch.cuda_available


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


def compare_versions(a: tuple[int, ...], b: tuple[int, ...]) -> int:
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
        if not ops[op](compare_versions(got, want)):
            return False
    return True


def listed(items: list[str], show: int = SHOW, sep: str = ", ") -> str:
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


def query_compute_capabilities(timeout: float = 15.0) -> list[tuple[int, int]]:
    """(major, minor) per GPU from ``nvidia-smi --query-gpu=compute_cap``; [] where it is not reported."""
    path = shutil.which("nvidia-smi")
    if path is None:
        return []
    try:
        proc = _run([path, "--query-gpu=compute_cap", "--format=csv,noheader"], timeout)
    except (OSError, subprocess.TimeoutExpired):
        return []
    rows = [re.fullmatch(r"\s*(\d+)\.(\d+)\s*", r) for r in proc.stdout.splitlines() if r.strip()]
    if proc.returncode != 0 or not rows or not all(rows):
        return []
    return [(int(m.group(1)), int(m.group(2))) for m in rows if m]


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


def probe_import(code: str, timeout: float = PROBE_TIMEOUT) -> str:
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
