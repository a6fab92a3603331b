"""download / verify --dataset longvideobench, through the CLI: a fake hub repo holding the LongVideoBench fixture as
lvb_val.json + videos.tar.part.* (a real tar, split in pieces); only the two hub calls are replaced, as in
tests/data/test_download.py. No network."""

from __future__ import annotations

import fnmatch
import io
import json
import shutil
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from seedbench_r1.cli import main
from seedbench_r1.data import download as dl
from seedbench_r1.longvideobench import download as lvb_download
from seedbench_r1.longvideobench.fixture import CLIPS, make_lvb_fixture
from seedbench_r1.longvideobench.loader import ANNOTATION_FILE, ROOT_ENV, VIDEO_FOLDER

LVB = ["--dataset", "longvideobench"]
PARTS = ["videos.tar.part.aa", "videos.tar.part.ab", "videos.tar.part.ac"]


@pytest.fixture(scope="module")
def lvb_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The miniature LongVideoBench (12 questions, 3 clips), read-only by convention."""
    root = tmp_path_factory.mktemp("lvb_fixture")
    make_lvb_fixture(root)
    return root


def _build_repo(dest: Path, fixture: Path, *, flat: bool = False) -> Path:
    """A hub repo as LongVideoBench ships it: the videos tar split in three parts (top folder videos/, or bare
    files with ``flat``), subtitles.tar, a README and a test annotation that must not be fetched."""
    dest.mkdir(parents=True)
    shutil.copyfile(fixture / ANNOTATION_FILE, dest / ANNOTATION_FILE)
    (dest / "lvb_test_wo_gt.json").write_text("[]")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for spec in CLIPS:
            arcname = spec.name if flat else f"videos/{spec.name}"
            tf.add(fixture / VIDEO_FOLDER / spec.name, arcname=arcname)
    data = buf.getvalue()
    third = len(data) // 3
    for name, chunk in zip(PARTS, (data[:third], data[third : 2 * third], data[2 * third :]), strict=True):
        (dest / name).write_bytes(chunk)
    with tarfile.open(dest / "subtitles.tar", "w") as tf:
        info = tarfile.TarInfo("subtitles/x_en.json")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"{}"))
    (dest / "README.md").write_text("fake")
    return dest


@pytest.fixture(scope="module")
def lvb_repo(lvb_fixture: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_repo(tmp_path_factory.mktemp("lvb_hub") / "repo", lvb_fixture)


class FakeHub:
    """list_repo_tree (sizes, shuffled order, a folder entry) and snapshot_download (copies matching files)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.calls: list[list[str]] = []
        self.list_error: BaseException | None = None
        self.fetch_error: BaseException | None = None

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.repo)) for p in self.repo.rglob("*") if p.is_file())

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import huggingface_hub

        hub = self

        class FakeApi:
            def list_repo_tree(
                self, repo_id, path_in_repo=None, *, recursive=False, revision=None, repo_type=None
            ):  # noqa: ANN001, ANN202
                assert (repo_id, repo_type, recursive) == (lvb_download.LVB_REPO_ID, "dataset", True)
                if hub.list_error is not None:
                    raise hub.list_error
                items = [SimpleNamespace(path=f, size=(hub.repo / f).stat().st_size) for f in hub.files()]
                return [SimpleNamespace(path="subtitles"), *reversed(items)]  # order must not matter

        def fake_snapshot(
            repo_id, *, repo_type=None, revision=None, local_dir=None, allow_patterns=None, **kw
        ):  # noqa: ANN001, ANN003, ANN202
            assert (
                (repo_id, repo_type) == (lvb_download.LVB_REPO_ID, "dataset") and local_dir and allow_patterns
            )
            hub.calls.append(sorted(allow_patterns))
            if hub.fetch_error is not None:
                raise hub.fetch_error
            for f in hub.files():
                if any(fnmatch.fnmatch(f, pat) for pat in allow_patterns):
                    shutil.copyfile(hub.repo / f, Path(local_dir) / f)
            return local_dir

        monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
        monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot)


@pytest.fixture
def hub(lvb_repo: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    fake = FakeHub(lvb_repo)
    fake.install(monkeypatch)
    return fake


def _http_error(status: int):  # noqa: ANN202
    import httpx
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError

    url = "https://huggingface.co/api/datasets/longvideobench/LongVideoBench/revision/main"
    response = httpx.Response(status, request=httpx.Request("GET", url))
    cls = GatedRepoError if status == 403 else HfHubHTTPError
    return cls(f"{status} Client Error for url: {url}", response=response)


# --------------------------------------------------------------------------------------------- download


def test_download_prints_sizes_joins_parts_in_order_and_unpacks_once(
    hub: FakeHub, lvb_fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "lvb"
    assert main(["download", *LVB, "--root", str(root), "--no-verify"]) == 0
    # exactly the annotation and the parts: no subtitles, no test annotation, no README
    assert hub.calls == [[ANNOTATION_FILE, *PARTS]]
    out = capsys.readouterr().out
    parts_bytes = sum((hub.repo / p).stat().st_size for p in PARTS)
    ann_bytes = (hub.repo / ANNOTATION_FILE).stat().st_size
    assert f"videos.tar.part.aa .. videos.tar.part.ac: 3 parts, {lvb_download.human(parts_bytes)}" in out
    assert f"to fetch: {lvb_download.human(parts_bytes + ann_bytes)} in 4 file(s)" in out
    assert "share them with the test clips" in out
    # the listing came reversed: the parts were still read aa, ab, ac (else the tar would not open)
    assert "unpacking videos.tar.part.* (3 parts, read back to back in order)" in out
    for spec in CLIPS:
        got = root / VIDEO_FOLDER / spec.name
        assert got.read_bytes() == (lvb_fixture / VIDEO_FOLDER / spec.name).read_bytes()
    assert not (root / VIDEO_FOLDER / "videos").exists()  # the tar's top folder videos/ was stripped
    assert not list((root / dl.STATE_DIR).glob("tmp/*"))

    # second run: the parts are neither fetched nor unpacked again, and it says so
    assert main(["download", *LVB, "--root", str(root), "--no-verify"]) == 0
    assert hub.calls[1] == [ANNOTATION_FILE]
    out = capsys.readouterr().out
    assert "already unpacked into" in out and "not fetched again" in out
    assert "already unpacked, skipped: videos.tar.part.* (3 parts)" in out
    # the parts may be deleted after unpacking: still counted as unpacked, still not fetched
    for p in PARTS:
        (root / p).unlink()
    assert main(["download", *LVB, "--root", str(root), "--no-verify"]) == 0
    assert hub.calls[2] == [ANNOTATION_FILE]

    # the downloaded tree verifies as a miniature; the default download ends with verify, which asserts the
    # release's counts: the fixture fails them, naming expected and found
    assert main(["verify", *LVB, "--root", str(root), "--no-expect-sizes"]) == 0
    capsys.readouterr()
    assert main(["download", *LVB, "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "total: 12 (expected 1337)" in out and out.strip().endswith("FAILED")


def test_flat_tar_lands_in_videos(
    lvb_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    FakeHub(_build_repo(tmp_path / "flat_repo", lvb_fixture, flat=True)).install(monkeypatch)
    root = tmp_path / "lvb"
    assert main(["download", *LVB, "--root", str(root), "--no-verify"]) == 0
    assert sorted(p.name for p in (root / VIDEO_FOLDER).iterdir()) == sorted(s.name for s in CLIPS)
    capsys.readouterr()
    assert main(["verify", *LVB, "--root", str(root), "--no-expect-sizes"]) == 0


def test_metadata_only_fetches_the_annotation_alone(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "lvb"
    monkeypatch.setenv(ROOT_ENV, str(root))  # the default root
    assert main(["download", *LVB, "--metadata-only"]) == 1  # final verify: counts only, the fixture's fail
    assert hub.calls == [[ANNOTATION_FILE]]
    out = capsys.readouterr().out
    assert f"dataset root: {root}" in out
    assert "videos.tar.part" not in out.split("to fetch:")[1].splitlines()[0]
    assert "not checked (metadata only)" in out and "total: 12 (expected 1337)" in out
    assert (root / ANNOTATION_FILE).is_file() and not (root / VIDEO_FOLDER).exists()
    # a full verify names the missing clips
    assert main(["verify", *LVB, "--no-expect-sizes"]) == 1
    out = capsys.readouterr().out
    assert "3 of 3 clips missing" in out and f"videos: missing: videos/{CLIPS[0].name}" in out


@pytest.mark.parametrize("stage", ["list", "fetch"])
@pytest.mark.parametrize("status", [401, 403])
def test_gated_refusal_is_one_plain_line(
    hub: FakeHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    status: int,
    stage: str,
) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)  # no saved token on this machine
    if status == 401:
        monkeypatch.delenv("HF_TOKEN", raising=False)
    else:
        monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    setattr(hub, f"{stage}_error", _http_error(status))
    assert main(["download", *LVB, "--root", str(tmp_path / "lvb")]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.startswith("error: longvideobench/LongVideoBench is a gated dataset")
    assert f"(HTTP {status})" in line
    assert "https://huggingface.co/datasets/longvideobench/LongVideoBench" in line
    if status == 401:
        assert "token is missing or invalid" in line and "HF_TOKEN is not set" in line
    else:
        assert "terms are not accepted" in line and "HF_TOKEN is set" in line
    assert "Traceback" not in captured.err and "OK" not in captured.out


def test_other_hub_errors_and_a_repo_without_parts(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example")
    hub.list_error = ConnectionError("network unreachable")
    assert main(["download", *LVB, "--root", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "endpoint https://mirror.example" in err and "network unreachable" in err
    hub.list_error = None

    bare = tmp_path / "bare_repo"
    bare.mkdir()
    (bare / ANNOTATION_FILE).write_text("[]")
    (bare / "README.md").write_text("fake")
    hub.repo = bare
    assert main(["download", *LVB, "--root", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "expected files not found: videos.tar.part.*" in err and "2 files in the repo" in err
    assert hub.calls == []  # nothing fetched


def test_flags_of_the_other_dataset_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = str(tmp_path)
    assert main(["download", *LVB, "--root", root, "--parts", "all"]) == 2
    assert main(["download", "--root", root, "--metadata-only"]) == 2
    assert main(["verify", *LVB, "--root", root, "--splits", "validation_L1"]) == 2
    assert main(["verify", *LVB, "--root", root, "--expect-size", "validation_L1=8"]) == 2
    err = capsys.readouterr().err
    assert "--metadata-only is for --dataset longvideobench" in err and "--splits: SEED-Bench-R1 only" in err


# --------------------------------------------------------------------------------------------- verify


def test_verify_fixture_fails_on_release_counts_and_passes_without(
    lvb_fixture: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["verify", *LVB, "--root", str(lvb_fixture)]) == 1
    out = capsys.readouterr().out
    assert "questions        FAIL  total: 12 (expected 1337)" in out
    assert "15: 3 (expected 189), 60: 3 (expected 172), 600: 3 (expected 412), 3600: 3 (expected 564)" in out
    assert "L1-Perception: 6 (expected 625), L2-Relation: 6 (expected 712)" in out
    assert f"all 3 clips present under {lvb_fixture / VIDEO_FOLDER}" in out
    assert out.strip().endswith("FAILED")

    assert main(["verify", *LVB, "--root", str(lvb_fixture), "--no-expect-sizes"]) == 0
    out = capsys.readouterr().out
    assert "total: 12 (the release has 1337); count check off" in out
    assert out.strip().endswith("OK")


def test_verify_names_missing_clips_and_their_count(
    lvb_fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "lvb"
    shutil.copytree(lvb_fixture, root)
    rows = json.loads((root / ANNOTATION_FILE).read_text())
    for i, row in enumerate(rows):  # 12 distinct clips, none on disk
        row["video_path"] = f"gone_{i:02d}.mp4"
    (root / ANNOTATION_FILE).write_text(json.dumps(rows))
    assert main(["verify", *LVB, "--root", str(root), "--no-expect-sizes"]) == 1
    out = capsys.readouterr().out
    assert f"12 of 12 clips missing under {root / VIDEO_FOLDER}" in out
    assert "videos: missing: videos/gone_00.mp4" in out and "videos: missing: videos/gone_09.mp4" in out
    assert "gone_10.mp4" not in out and "videos: ... and 2 more" in out
    assert out.strip().endswith("FAILED")


def test_verify_bad_entry_is_the_loaders_one_line(
    lvb_fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "lvb"
    shutil.copytree(lvb_fixture, root)
    rows = json.loads((root / ANNOTATION_FILE).read_text())
    rows[3]["correct_choice"] = 9
    (root / ANNOTATION_FILE).write_text(json.dumps(rows))
    assert main(["verify", *LVB, "--root", str(root), "--no-expect-sizes"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        f"seedbench-r1 verify: error: {root / ANNOTATION_FILE}: sample '{rows[3]['id']}'"
    )
    assert "field 'correct_choice'" in err[0]
    (root / ANNOTATION_FILE).unlink()
    assert main(["verify", *LVB, "--root", str(root)]) == 1
    assert "no such file" in capsys.readouterr().err


def test_verify_decode_reports_an_undecodable_clip(
    lvb_fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "lvb"
    shutil.copytree(lvb_fixture, root)
    clip = root / VIDEO_FOLDER / CLIPS[2].name
    clip.write_bytes(clip.read_bytes()[:200])  # present, so only --decode can tell
    assert main(["verify", *LVB, "--root", str(root), "--no-expect-sizes"]) == 0
    argv = ["verify", *LVB, "--root", str(root), "--no-expect-sizes", "--decode", "--workers", "1"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "decode           FAIL  2 of 3 clips decode" in out
    assert f"decode: videos/{CLIPS[2].name}:" in out
