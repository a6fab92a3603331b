"""Bad input that must never destroy data or be trusted silently: make-fixture on a folder it did not make, a
frame cache edited in place, two runs on one cache, a killed run's workers.

Every command runs as the real CLI in a fresh interpreter, on private copies of the fixture; each case checks
the exit code, the one-line message (what it names) and that no traceback is printed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedbench_r1.data.extract_frames import cache_lock, extract_frames
from seedbench_r1.data.extract_frames.file_lock import LOCK_NAME
from seedbench_r1.fixtures.marker import MARKER
from seedbench_r1.protocol.frame_cache import MANIFEST, check_entry, read_manifest

ENV = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
ENV.pop("SEEDBENCH_R1_DEBUG", None)
CLIP = "videos/Ego4D/ego_long_30fps.mp4"  # used by validation_L2 (16 cached frames)
SPLIT = "validation_L2"


def holder(pid: int) -> tuple[str, ...]:
    """What the lock message names about its holder: the pid where /proc/locks tells it (Linux)."""
    return (f"pid {pid}",) if Path("/proc/locks").is_file() else ()


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seedbench_r1", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    for needle in needles:
        assert needle in line, line
    return line


def snapshot(folder: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file and folder under ``folder``: bytes and mtime (ns) of files, None for folders."""
    out: dict[str, tuple[bytes, int] | None] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
    return out


# ------------------------------------------------------------------------------------------- make-fixture


def _plant_dataset(root: Path) -> None:
    """A folder that looks like a real download (and a hidden file): make-fixture must leave it alone."""
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "validation_L1.jsonl").write_text('{"sample_id": 1, "real": true}\n')
    (root / "videos" / "EpicKitchens").mkdir(parents=True)
    (root / "videos" / "EpicKitchens" / "ek_long_25fps.mp4").write_bytes(b"\x00real clip bytes")
    (root / ".hidden").write_text("mine")


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_make_fixture_refuses_a_folder_it_did_not_make(tmp_path: Path, force: bool) -> None:
    root = tmp_path / "release"
    _plant_dataset(root)
    before = snapshot(root)
    proc = cli("make-fixture", "--root", str(root), *(["--force"] if force else []))
    line = one_line_error(proc, str(root), "real dataset", MARKER)
    assert "with or without --force" in line
    assert snapshot(root) == before  # nothing written, renamed or touched, not even the marker


def test_make_fixture_refuses_a_lone_hidden_file_and_a_file_target(tmp_path: Path) -> None:
    root = tmp_path / "dotfile"
    root.mkdir()
    (root / ".DS_Store").write_bytes(b"x")
    one_line_error(cli("make-fixture", "--root", str(root), "--force"), str(root))
    assert [p.name for p in root.iterdir()] == [".DS_Store"]
    target = tmp_path / "afile"
    target.write_text("keep me")
    one_line_error(cli("make-fixture", "--root", str(target)), str(target), "not a folder")
    assert target.read_text() == "keep me"


def test_make_fixture_writes_an_empty_folder_and_replaces_only_its_own_fixture(tmp_path: Path) -> None:
    root = tmp_path / "fx"
    root.mkdir()  # empty: fine
    proc = cli("make-fixture", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    marker = json.loads((root / MARKER).read_text())
    assert marker["seed"] == 0 and "annotations/validation_L1.jsonl" in marker["files"]
    (root / "frames").mkdir()
    (root / "frames" / "keep.txt").write_text("a cache built from the fixture")

    # a fixture already there: refused without --force, untouched
    before = snapshot(root)
    one_line_error(cli("make-fixture", "--root", str(root), "--seed", "1"), str(root), "--force")
    assert snapshot(root) == before

    # --force replaces it: the new seed's files, none of the old seed's, other files kept
    proc = cli("make-fixture", "--root", str(root), "--seed", "1", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "replaced the fixture" in proc.stdout
    new = json.loads((root / MARKER).read_text())
    assert new["seed"] == 1
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert files == set(new["files"]) | {MARKER, "frames/keep.txt"}
    assert set(marker["files"]) - set(new["files"]), "seed 1 should name other images than seed 0"
    assert (root / "frames" / "keep.txt").read_text() == "a cache built from the fixture"
    old_l1 = before["annotations/validation_L1.jsonl"][0]
    assert (root / "annotations" / "validation_L1.jsonl").read_bytes() != old_l1


# ------------------------------------------------------------------------------------------- frame cache


@pytest.fixture(scope="module")
def l2_cache(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("l2_cache")
    summary = extract_frames(fixture_root, [SPLIT], out, workers=1, progress=False)
    assert summary.ok and summary.built >= 6
    return out


@pytest.fixture
def cache(l2_cache: Path, tmp_path: Path) -> Path:
    """A private copy of the L2 cache (times preserved, so it stays valid by the size + mtime rule)."""
    dest = tmp_path / "frames"
    shutil.copytree(l2_cache, dest)
    return dest


def _corrupt_in_place(path: Path, *, keep_mtime: bool = False) -> None:
    """Flip one byte in the middle of the file: same size, other content."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with open(path, "r+b") as fh:  # in place, as a bad disk or a stray tool would
        fh.write(data)
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:  # coarse-clock file systems could give the same mtime: make sure it moved
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert path.stat().st_size == st.st_size


def test_same_size_corruption_is_rebuilt_by_a_plain_rerun(fixture_root: Path, cache: Path) -> None:
    frame = cache / CLIP / "frame_03.png"
    original = frame.read_bytes()
    _corrupt_in_place(frame)
    assert read_manifest(cache / CLIP) is None  # the lookup prepare-verl uses refuses it

    proc = cli("extract-frames", "--root", str(fixture_root), "--splits", SPLIT, "--out", str(cache))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{frame}: content changed since it was cached" in proc.stdout
    assert "1 entries written" in proc.stdout
    assert frame.read_bytes() == original  # rebuilt: the protocol's frame again
    assert check_entry(cache / CLIP, deep=True).ok


def test_prepare_verl_refuses_a_corrupted_frame_until_extract_frames_rebuilds_it(
    fixture_root: Path, cache: Path, tmp_path: Path
) -> None:
    _corrupt_in_place(cache / CLIP / "frame_07.png")
    proc = cli(
        "prepare-verl", "--root", str(fixture_root), "--split", SPLIT, "--out", str(tmp_path / "a.parquet"),
        "--frame-cache", str(cache), "--no-progress",
    )  # fmt: skip
    one_line_error(proc, CLIP, str(cache))
    assert not (tmp_path / "a.parquet").exists()
    proc = cli("extract-frames", "--root", str(fixture_root), "--splits", SPLIT, "--out", str(cache))
    assert proc.returncode == 0 and "frame_07.png" in proc.stdout, proc.stdout + proc.stderr
    proc = cli(
        "prepare-verl", "--root", str(fixture_root), "--split", SPLIT, "--out", str(tmp_path / "b.parquet"),
        "--frame-cache", str(cache), "--no-progress",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_corruption_that_keeps_the_mtime_is_found_by_the_hashing_checks(
    fixture_root: Path, cache: Path
) -> None:
    frame = cache / CLIP / "frame_11.png"
    original = frame.read_bytes()
    _corrupt_in_place(frame, keep_mtime=True)
    # the cheap rule (size + mtime) cannot see it; that is what the hashing checks are for
    assert read_manifest(cache / CLIP) is not None
    assert not check_entry(cache / CLIP, deep=True).ok

    verify = ["verify", "--root", str(fixture_root), "--splits", SPLIT, "--no-expect-sizes"]
    proc = cli(*verify, "--frame-cache", str(cache))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{frame}: content changed since it was cached (sha256 differs from the manifest)" in proc.stdout
    assert "1 bad entry" in proc.stdout and proc.stdout.rstrip().endswith("frame cache FAILED")

    proc = cli(
        "extract-frames", "--root", str(fixture_root), "--splits", SPLIT, "--out", str(cache), "--verify"
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{frame}: content changed" in proc.stdout and "1 entries written" in proc.stdout
    assert frame.read_bytes() == original

    proc = cli(*verify, "--frame-cache", str(cache))
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("frame cache OK"), proc.stdout


def test_verify_frame_cache_names_every_kind_of_bad_entry(fixture_root: Path, cache: Path) -> None:
    entries = sorted(p.parent for p in cache.rglob(MANIFEST))
    videos = [e for e in entries if (e / "frame_00.png").exists()]
    images = [e for e in entries if (e / "image.png").exists()]
    truncated = videos[0] / "frame_01.png"
    truncated.write_bytes(truncated.read_bytes()[:-10])
    missing = videos[1] / "frame_00.png"
    missing.unlink()
    stale = images[0]
    manifest = json.loads((stale / MANIFEST).read_text())
    manifest["rule"]["cache_format"] = 2  # made before content hashes existed: not trusted
    (stale / MANIFEST).write_text(json.dumps(manifest))
    unreadable = images[1] / MANIFEST
    unreadable.write_text("{not json")
    incomplete = cache / "images" / "Ego4D" / "half.png"
    incomplete.mkdir()
    (incomplete / "image.png").write_bytes(b"half")

    proc = cli(
        "verify",
        "--root",
        str(fixture_root),
        "--splits",
        SPLIT,
        "--no-expect-sizes",
        "--frame-cache",
        str(cache),
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout
    assert f"{truncated}: " in out and "the manifest says" in out
    assert f"{missing}: missing" in out
    assert f"{stale}: made under another rule or format (cache format 2, current 3" in out
    assert f"{unreadable}: unreadable manifest" in out
    assert f"{incomplete}: files but no manifest" in out
    assert "5 bad entries" in out

    # the default cache folder of a root without one is a failure that names it
    proc = cli("verify", "--root", str(fixture_root), "--splits", SPLIT, "--no-expect-sizes", "--frame-cache")
    assert proc.returncode == 1 and f"{fixture_root / 'frames'}: no frame cache here" in proc.stdout


def test_a_copy_without_times_is_checked_by_hash_once(
    fixture_root: Path, l2_cache: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copied"
    shutil.copytree(l2_cache, copy, copy_function=shutil.copyfile)  # like `cp -r`: new mtimes
    assert read_manifest(copy / CLIP) is not None  # content verified by hash, so still usable
    first = extract_frames(fixture_root, [SPLIT], copy, workers=1, progress=False)
    assert first.built == 0 and first.retimed == first.cached > 0 and not first.changed
    second = extract_frames(fixture_root, [SPLIT], copy, workers=1, progress=False)
    assert second.built == 0 and second.retimed == 0  # the manifests now hold the copy's times


# ------------------------------------------------------------------------------------------- lock


def test_a_second_run_on_a_locked_cache_fails_at_once(fixture_root: Path, cache: Path) -> None:
    before = snapshot(cache)
    with cache_lock(cache) as lock:  # this process plays the first run
        assert lock == cache / LOCK_NAME
        start = time.monotonic()
        proc = cli(
            "extract-frames", "--root", str(fixture_root), "--splits", SPLIT, "--out", str(cache), "--force"
        )
        line = one_line_error(proc, str(cache), str(lock), *holder(os.getpid()), "--out")
        assert time.monotonic() - start < 60  # no waiting for the lock
        assert "seedbench-r1 extract-frames: error: frame cache" in line
        # verify --frame-cache does not read a cache that is being written either
        proc = cli(
            "verify", "--root", str(fixture_root), "--splits", SPLIT, "--no-expect-sizes",
            "--frame-cache", str(cache),
        )  # fmt: skip
        one_line_error(proc, str(cache), "extract-frames is writing it")
    assert snapshot(cache) == before  # --force rebuilt nothing while locked
    # released: the next run proceeds
    proc = cli("extract-frames", "--root", str(fixture_root), "--splits", SPLIT, "--out", str(cache))
    assert proc.returncode == 0 and "0 entries written" in proc.stdout, proc.stderr


def test_two_concurrent_runs_one_fails_fast(fixture_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    cmd = [sys.executable, "-m", "seedbench_r1", "extract-frames", "--root", str(fixture_root)]
    cmd += ["--splits", "training_6k", SPLIT, "--out", str(out), "--workers", "1", "--no-progress"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.rglob(MANIFEST)) and first.poll() is None:
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before the second could start"
        second = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120)
        one_line_error(second, str(out), LOCK_NAME, *holder(first.pid))
        stdout, stderr = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0 and "0 failed" in stdout, stderr


# ------------------------------------------------------------------------------------------- orphans


def _alive(procs: list) -> list:  # noqa: ANN001
    import psutil

    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            pass
    return out


def _kill_parent_and_watch(cmd: list[str], min_workers: int) -> tuple[list[str], list[str]]:
    """Start ``cmd`` in its own session, SIGKILL it (only it) once ``min_workers`` pool workers run, and
    return the command lines of (descendants seen, descendants still alive a few seconds later)."""
    psutil = pytest.importorskip("psutil")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True
    )
    parent = psutil.Process(proc.pid)
    seen: dict[int, tuple[psutil.Process, str]] = {}

    def look() -> int:
        try:
            kids = parent.children(recursive=True)
        except psutil.Error:
            return 0
        for kid in kids:
            if kid.pid not in seen:
                seen[kid.pid] = (kid, " ".join(_cmdline(kid)))
        return sum("spawn_main" in seen[k.pid][1] for k in kids)

    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if look() >= min_workers:
                time.sleep(0.5)  # let them start working (imports, decoding)
                look()
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            pytest.skip("the command finished before its pool workers could be seen")
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as `kill -9 PID` does
        proc.wait()
        procs = [p for p, _ in seen.values()]
        end = time.monotonic() + 10
        while time.monotonic() < end and _alive(procs):
            time.sleep(0.1)
        survivors = {p.pid for p in _alive(procs)}
        return [c for _, c in seen.values()], [c for pid, (_, c) in seen.items() if pid in survivors]
    finally:
        for p in _alive([p for p, _ in seen.values()]):  # never leak them past the test
            p.kill()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _cmdline(p) -> list[str]:  # noqa: ANN001
    import psutil

    try:
        return p.cmdline()
    except psutil.Error:  # gone mid-read
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_sigkill_of_extract_frames_leaves_no_worker(fixture_root: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "seedbench_r1", "extract-frames", "--root", str(fixture_root)]
    cmd += ["--splits", "training_6k", "validation_L1", "validation_L2", "validation_L3"]
    cmd += ["--out", str(tmp_path / "frames"), "--workers", "2", "--no-progress"]
    seen, survivors = _kill_parent_and_watch(cmd, min_workers=2)
    assert sum("spawn_main" in c for c in seen) >= 2, seen
    assert not survivors, f"still running after the parent was killed: {survivors}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_sigkill_of_verify_decode_leaves_no_worker(fixture_root: Path) -> None:
    cmd = [sys.executable, "-m", "seedbench_r1", "verify", "--root", str(fixture_root), "--no-expect-sizes"]
    cmd += ["--decode", "--workers", "2"]
    seen, survivors = _kill_parent_and_watch(cmd, min_workers=2)
    assert sum("spawn_main" in c for c in seen) >= 2, seen
    assert not survivors, f"still running after the parent was killed: {survivors}"
