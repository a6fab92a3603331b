"""The dataset root's precedence and the lexical media-path rule."""

import os

import pytest

from seedbench_r1.protocol.errors import MediaError
from seedbench_r1.protocol.root import DEFAULT_ROOT, ROOT_ENV, media_path, resolve_root


def test_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(ROOT_ENV, raising=False)
    assert resolve_root() == DEFAULT_ROOT.expanduser().absolute()
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "env"))
    assert resolve_root() == tmp_path / "env"
    assert resolve_root(tmp_path / "explicit") == tmp_path / "explicit"


@pytest.mark.parametrize("rel", ["../x.mp4", "videos/../../x.mp4", "/etc/passwd", "", "videos/a/../../.."])
def test_escapes_are_errors(tmp_path, rel):
    with pytest.raises(MediaError):
        media_path(tmp_path, rel)


def test_inside_paths_and_symlinked_folder_stay_legal(tmp_path):
    elsewhere = tmp_path / "other_disk" / "videos"
    (elsewhere / "Ego4D").mkdir(parents=True)
    (elsewhere / "Ego4D" / "a.mp4").write_bytes(b"x")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(elsewhere, root / "videos")
    path = media_path(root, "videos/Ego4D/./a.mp4")
    assert path == root / "videos/Ego4D/a.mp4" and path.read_bytes() == b"x"
    # '..' is refused even when it comes back inside: a basename belongs to its own source folder
    with pytest.raises(MediaError, match="escapes"):
        media_path(root, "videos/x/../Ego4D/a.mp4")
