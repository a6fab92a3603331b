"""The frame rule (count, indices) and the resize rule of docs/protocol.md."""

import numpy as np
import pytest
import torch
from PIL import Image

from seedbench_r1 import frame_count, frame_indices
from seedbench_r1.protocol.frames import resize_frames, resize_image, sampled_fps


def _reference_count(total: int, fps: float) -> int:
    # Independent restatement of the formula: even() = round down to an even integer.
    def even(x):
        return int(x) // 2 * 2

    return even(min(max(2 * total / fps, 4), even(min(16, total)), total))


@pytest.mark.parametrize(
    "total, fps, expected",
    [
        (2, 30, 2),  # the smallest usable clip
        (3, 30, 2),  # under 4 frames -> 2
        (4, 30, 4),
        (5, 25, 4),
        (40, 25, 4),  # 1.6 s -> 3.2 wanted, floor at 4
        (60, 30, 4),  # 2 s -> 4
        (75, 25, 6),  # 3 s -> 6
        (105, 30, 6),  # 3.5 s -> 7 -> even 6
        (150, 29.97, 10),  # 5.005 s -> 10.01 -> 10
        (240, 30, 16),  # 8 s -> 16
        (270, 30, 16),  # 9 s -> capped at 16
        (9000, 30, 16),
        (15, 1, 14),  # wanted 30 > cap even(min(16, 15)) = 14
        (7, 0.5, 6),  # cap by total: even(min(16, 7)) = 6
    ],
)
def test_frame_count_table(total, fps, expected):
    assert frame_count(total, fps) == expected == _reference_count(total, fps)


@pytest.mark.parametrize("total", [2, 3, 4, 5, 7, 11, 16, 17, 33, 59, 60, 61, 100, 1000, 12345])
@pytest.mark.parametrize("fps", [1.0, 25.0, 29.97, 30.0, 59.94])
def test_count_is_even_bounded_and_matches_formula(total, fps):
    n = frame_count(total, fps)
    assert n % 2 == 0 and 2 <= n <= 16 and n <= total
    assert n == _reference_count(total, fps)
    if total >= 4:
        assert n >= 4


@pytest.mark.parametrize(
    "total, fps, expected",
    [
        (3, 30, [0, 2]),
        (40, 25, [0, 13, 26, 39]),
        (270, 30, [0, 18, 36, 54, 72, 90, 108, 126, 143, 161, 179, 197, 215, 233, 251, 269]),
        (75, 25, [0, 15, 30, 44, 59, 74]),  # 14.8 -> 15, 44.4 -> 44, 59.2 -> 59
        (11, 2, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]),  # 11 frames at 2 fps: wanted 11, cap even(11) = 10
    ],
)
def test_frame_indices_table(total, fps, expected):
    got = frame_indices(total, fps)
    assert got == expected
    assert got[0] == 0 and got[-1] == total - 1
    assert got == sorted(set(got))


def test_indices_match_float64_linspace():
    # n is always even, so (total - 1) * k / (n - 1) never lands on an exact half: float32 (torch) and float64
    # rounding must agree everywhere.
    for total in range(2, 2000, 7):
        n = frame_count(total, 30.0)
        expected = [int(round(x)) for x in np.linspace(0, total - 1, n)]
        assert frame_indices(total, 30.0) == expected, total


@pytest.mark.parametrize("total", [0, 1])
def test_clip_under_two_frames_is_an_error(total):
    with pytest.raises(ValueError, match="at least 2 frames"):
        frame_count(total, 30)


def test_bad_fps_is_an_error():
    with pytest.raises(ValueError, match="frame rate"):
        frame_count(100, 0)


def test_sampled_fps():
    assert sampled_fps(270, 30) == pytest.approx(16 / 270 * 30)


def test_resize_frames_is_uint8_252():
    frames = torch.randint(0, 256, (4, 3, 256, 456), dtype=torch.uint8)
    out = resize_frames(frames)
    assert out.dtype == torch.uint8 and tuple(out.shape) == (4, 3, 252, 252)
    # bicubic with antialias, computed by torchvision on float then rounded, is within 1 of the uint8 path
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as tvf

    ref = tvf.resize(frames.float(), [252, 252], interpolation=InterpolationMode.BICUBIC, antialias=True)
    assert (ref.round().clamp(0, 255) - out.float()).abs().max() <= 1


def test_resize_frames_rejects_float():
    with pytest.raises(ValueError, match="uint8"):
        resize_frames(torch.zeros(1, 3, 10, 10))


def test_resize_image_rgb_252_bicubic():
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (360, 640, 3), dtype=np.uint8))
    out = resize_image(img)
    assert out.size == (252, 252) and out.mode == "RGB"
    assert np.array_equal(np.asarray(out), np.asarray(img.resize((252, 252), Image.Resampling.BICUBIC)))


def test_resize_image_rgba_on_white():
    img = Image.new("RGBA", (50, 40), (10, 20, 30, 0))
    out = resize_image(img)
    assert out.getpixel((10, 10)) == (255, 255, 255)
