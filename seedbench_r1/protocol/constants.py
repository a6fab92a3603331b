"""The constants of the SEED-Bench-R1 evaluation protocol (paper arXiv 2503.24376, official code release).

Everything that evaluation and training must agree on is a value here or a function in the sibling modules
that reads these values; no face of the project (lmms-eval tasks, verl recipe, reward) restates them.
"""

from __future__ import annotations

from typing import Any, Final

LETTERS: Final = ("A", "B", "C", "D")
# LongVideoBench (the paper's transfer benchmark, Table 3) has up to five options, lettered the same way; the
# prompt and the parser take 2 to 5. SEED-Bench-R1 questions always have the four of LETTERS.
OPTION_LETTERS: Final = ("A", "B", "C", "D", "E")

# Frame rule (docs/protocol.md): sample at 2 fps, between 4 and 16 frames, an even count because Qwen2-VL
# consumes frames in temporal pairs.
SAMPLE_FPS: Final = 2.0
MIN_FRAMES: Final = 4
MAX_FRAMES: Final = 16
FRAME_FACTOR: Final = 2

# The official code asks for 256 x 256; Qwen2-VL's factor-28 rounding turns that into 252 x 252, so 252 is
# what the model has always seen. Frames and the observation image share it.
FRAME_SIZE: Final = 252

# Bumped whenever a rule above (or the resize) changes, so caches made under an older rule are detected.
PROTOCOL_VERSION: Final = 1

VIDEO_SOURCES: Final = ("EpicKitchens", "Ego4D")

# L3 domains: canonical spelling (as the paper's table writes them) and the metric key.
DOMAINS: Final = {
    "daily life": ("Daily life", "daily_life"),
    "hobbies": ("Hobbies", "hobbies"),
    "recreation": ("Recreation", "recreation"),
    "work": ("Work", "work"),
}


def video_spec() -> dict[str, Any]:
    """The frame rule as qwen-vl-utils' ``fetch_video`` reads it (keys of a ``{"video": ...}`` entry).

    ``resized_height`` / ``resized_width`` are set explicitly: without them qwen-vl-utils 0.0.14 resizes a
    frame list twice and 252 x 252 frames come out 336 x 336 (docs/workarounds.md).
    """
    return {
        "fps": SAMPLE_FPS,
        "min_frames": MIN_FRAMES,
        "max_frames": MAX_FRAMES,
        "resized_height": FRAME_SIZE,
        "resized_width": FRAME_SIZE,
    }


def image_spec() -> dict[str, Any]:
    """The observation-image size as qwen-vl-utils' ``fetch_image`` reads it."""
    return {"resized_height": FRAME_SIZE, "resized_width": FRAME_SIZE}


def canonical_domain(domain: str) -> str:
    """'daily life' / 'Daily Life' -> 'Daily life'. Raises KeyError for a domain outside the four."""
    return DOMAINS[domain.strip().lower()][0]


def domain_key(domain: str) -> str:
    """'Daily life' -> 'daily_life' (the suffix of the per-domain metric names)."""
    return DOMAINS[domain.strip().lower()][1]
