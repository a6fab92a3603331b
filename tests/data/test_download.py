"""download: a fake hub repo made of real archives of the fixture; only the two hub calls are replaced."""

from __future__ import annotations

import fnmatch
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from seedbench_r1.cli import main
from seedbench_r1.data import download as dl


@pytest.fixture(scope="session")
def hub_repo(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture laid out the way a hub repo ships media: archives, one of them split into parts."""
    repo = tmp_path_factory.mktemp("hub_repo")
    shutil.copytree(fixture_root / "annotations", repo / "annotations")
    # full training set under an unknown name: a copy of the 6k rows
    shutil.copyfile(
        repo / "annotations" / "training_6k.jsonl", repo / "annotations" / "training_full_50k.jsonl"
    )
    (repo / "videos").mkdir()
    (repo / "images").mkdir()
    with zipfile.ZipFile(repo / "videos" / "EpicKitchens.zip", "w") as zf:  # top folder = source name
        for p in sorted((fixture_root / "videos" / "EpicKitchens").iterdir()):
            zf.write(p, f"EpicKitchens/{p.name}")
    buf = io.BytesIO()  # Ego4D: a tar.gz split into parts
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(fixture_root / "videos" / "Ego4D", arcname="Ego4D")
    data = buf.getvalue()
    third = len(data) // 3
    for i, chunk in enumerate((data[:third], data[third : 2 * third], data[2 * third :])):
        (repo / "videos" / f"Ego4D.tar.gz.part{i:02d}").write_bytes(chunk)
    with tarfile.open(repo / "images" / "images.tar", "w") as tf:  # top folder repeats "images"
        tf.add(fixture_root / "images", arcname="images")
    # training-only media must not be fetched for validation
    with zipfile.ZipFile(repo / "videos" / "train_extra.zip", "w") as zf:
        zf.writestr("EpicKitchens/extra.mp4", b"not a real clip")
    (repo / "README.md").write_text("fake")
    return repo


@pytest.fixture
def fake_hub(hub_repo: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Replace the hub boundary: list_repo_files and snapshot_download, copying from ``hub_repo``."""
    import huggingface_hub

    calls: list[list[str]] = []
    files = sorted(str(p.relative_to(hub_repo)) for p in hub_repo.rglob("*") if p.is_file())

    class FakeApi:
        def list_repo_files(self, repo_id: str, *, repo_type: str | None = None, revision=None, token=None):  # noqa: ANN001, ANN202
            assert (repo_id, repo_type) == (dl.REPO_ID, "dataset")
            return list(files)

    def fake_snapshot(
        repo_id: str, *, repo_type=None, revision=None, local_dir=None, allow_patterns=None, **kw
    ):  # noqa: ANN001, ANN202
        assert (repo_id, repo_type) == (dl.REPO_ID, "dataset") and local_dir and allow_patterns
        calls.append(list(allow_patterns))
        for f in files:
            if any(fnmatch.fnmatch(f, pat) for pat in allow_patterns):
                (Path(local_dir) / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(hub_repo / f, Path(local_dir) / f)
        return local_dir

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot)
    return calls


def test_validation_download_unpacks_once_and_verifies(
    fake_hub: list[list[str]], tmp_path: Path, fixture_root: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "data"
    rc = main(["download", "--root", str(root), "--parts", "validation", "--no-verify"])
    assert rc == 0
    assert fake_hub[0] == [
        "annotations/validation_L1.jsonl",
        "annotations/validation_L2.jsonl",
        "annotations/validation_L3.jsonl",
        "images/images.tar",
        "videos/Ego4D.tar.gz.part00",
        "videos/Ego4D.tar.gz.part01",
        "videos/Ego4D.tar.gz.part02",
        "videos/EpicKitchens.zip",
    ]
    for rel in ("videos/EpicKitchens/ek_long_25fps.mp4", "videos/Ego4D/ego_long_30fps.mp4"):
        assert (root / rel).read_bytes() == (fixture_root / rel).read_bytes()
    assert not (root / "images" / "images").exists()  # the repeated top folder was stripped
    assert not (root / "videos" / "EpicKitchens" / "extra.mp4").exists()
    out = capsys.readouterr().out
    assert "unpacking videos/Ego4D.tar.gz (3 part(s))" in out

    # second run: nothing fetched again for the media, nothing unpacked, and it says so
    marker_times = {p: p.stat().st_mtime_ns for p in (root / dl.STATE_DIR).rglob("*.json")}
    assert main(["download", "--root", str(root), "--parts", "validation", "--no-verify"]) == 0
    assert not [p for p in fake_hub[1] if p.startswith(("videos/", "images/"))]
    out = capsys.readouterr().out
    assert "already unpacked, skipped" in out and "nothing to unpack" in out
    assert {p: p.stat().st_mtime_ns for p in (root / dl.STATE_DIR).rglob("*.json")} == marker_times
    assert not list((root / dl.STATE_DIR).glob("tmp/*"))

    # the downloaded tree verifies (miniature: release sizes off)
    assert main(["verify", "--root", str(root), "--no-expect-sizes"]) == 0
    # the default download ends with verify, which asserts the release sizes: the fixture fails them
    assert main(["download", "--root", str(root), "--parts", "validation"]) == 1
    assert "validation_L1: 8 rows, expected 2432" in capsys.readouterr().out


def test_training_parts_and_full_set_by_pattern(fake_hub: list[list[str]], tmp_path: Path) -> None:
    root = tmp_path / "data"
    result = dl.download(root, dl.parse_parts("training_6k,training_full"), log=lambda *_: None)
    assert "annotations/training_full_50k.jsonl" in fake_hub[0]
    assert "videos/train_extra.zip" in fake_hub[0]  # training media now wanted
    assert not any("validation" in p for p in fake_hub[0])
    assert dl.splits_of_parts(["training_6k", "training_full"], result.plan) == [
        "training_6k",
        "training_full_50k.jsonl",
    ]
    assert (root / "videos" / "EpicKitchens" / "extra.mp4").is_file()


def test_missing_annotations_fail_with_the_file_list(
    fake_hub: list[list[str]], hub_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dl, "list_repo_files", lambda *a, **k: ["README.md", "videos/EpicKitchens.zip"])
    with pytest.raises(dl.DownloadError) as err:
        dl.download(tmp_path / "x", ["validation", "training_full"], log=lambda *_: None)
    text = str(err.value)
    assert "validation: validation_L1.jsonl" in text and "training_full:" in text
    assert "videos/EpicKitchens.zip" in text and "2 files in the repo" in text
    assert fake_hub == []  # nothing downloaded


def test_parse_parts_and_groups() -> None:
    assert dl.parse_parts("all") == list(dl.PARTS)
    with pytest.raises(ValueError, match="unknown part 'videos'"):
        dl.parse_parts("validation,videos")
    assert dl.media_group("videos/validation_L3.zip") == "validation"
    assert dl.media_group("videos/train_part1.tar") == "training"
    assert dl.media_group("videos/EpicKitchens.zip") == "shared"


def test_corrupt_archive_is_reported_and_not_marked(tmp_path: Path) -> None:
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "bad.zip").write_bytes(b"PK\x03\x04 broken")
    archive = dl.group_archives(tmp_path, ["videos/bad.zip"])[0]
    with pytest.raises(dl.DownloadError, match="cannot unpack videos/bad.zip"):
        dl.unpack(tmp_path, archive)
    assert not dl.is_unpacked(tmp_path, archive)


def test_hub_errors_become_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import huggingface_hub

    class DownApi:
        def list_repo_files(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise ConnectionError("network unreachable")

    monkeypatch.setattr(huggingface_hub, "HfApi", DownApi)
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example")
    assert main(["download", "--root", str(tmp_path), "--parts", "validation"]) == 1
    err = capsys.readouterr().err
    assert "endpoint https://mirror.example" in err and "network unreachable" in err


@pytest.mark.parametrize("payload", [b"[1]", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000], ids=str)
def test_hostile_unpack_marker_means_not_unpacked(tmp_path: Path, payload: bytes) -> None:
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "a.zip").write_bytes(b"PK")
    archive = dl.group_archives(tmp_path, ["videos/a.zip"])[0]
    marker = dl._marker(tmp_path, archive)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_bytes(payload)
    assert dl.is_unpacked(tmp_path, archive) is False


def test_zip_member_escaping_by_a_name_prefix_is_refused(tmp_path: Path) -> None:
    # "../dest_evil/x" resolves to a path whose string starts with "dest": only a path test catches it.
    (tmp_path / "videos").mkdir()
    with zipfile.ZipFile(tmp_path / "videos" / "evil.zip", "w") as zf:
        zf.writestr("../dest_evil/x.txt", b"payload")
    archive = dl.group_archives(tmp_path, ["videos/evil.zip"])[0]
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(dl.DownloadError, match=r"evil.zip: member '../dest_evil/x.txt' escapes the folder"):
        dl._extract_to(archive, dest)
    assert not (tmp_path / "dest_evil").exists()


def _one_member_tar(root: Path, name: str, member: str) -> dl.Archive:
    """A tar at ``root/name`` holding one small file named ``member`` (which may point outside)."""
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(root / name, "w") as tf:
        info = tarfile.TarInfo(member)
        info.size = 7
        tf.addfile(info, io.BytesIO(b"payload"))
    return dl.group_archives(root, [name])[0]


def test_tar_member_escaping_is_refused(tmp_path: Path) -> None:
    archive = _one_member_tar(tmp_path, "videos/evil.tar", "../outside.txt")
    with pytest.raises(dl.DownloadError, match="cannot unpack videos/evil.tar"):
        dl.unpack(tmp_path, archive)
    assert not list(tmp_path.rglob("outside.txt"))
    assert not dl.is_unpacked(tmp_path, archive)


def test_tar_without_the_data_filter_is_refused_not_unpacked_unsafely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _one_member_tar(tmp_path, "videos/a.tar", "a.txt")
    monkeypatch.delattr(tarfile, "data_filter")  # what Python < 3.10.12 / 3.11.4 looks like
    with pytest.raises(dl.DownloadError, match=r"a.tar: unpacking a tar safely needs Python >= 3.10.12"):
        dl.unpack(tmp_path, archive)
    assert not list(tmp_path.rglob("a.txt"))
