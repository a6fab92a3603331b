"""What one question shows the model, in order: the progress clip (only when there is progress), the
observation image, then the question text. Both faces build their inputs from :func:`prompt_content`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from seedbench_r1.protocol.prompt import render_question
from seedbench_r1.protocol.schema import Sample


@dataclass(frozen=True)
class ContentItem:
    kind: Literal["video", "image", "text"]
    value: str  # a path for video / image, the text for text

    @property
    def path(self) -> Path:
        if self.kind == "text":
            raise ValueError("a text item has no path")
        return Path(self.value)


def prompt_content(sample: Sample, root: str | os.PathLike[str]) -> list[ContentItem]:
    """The ordered content of the user turn for ``sample``, media resolved inside ``root``."""
    items: list[ContentItem] = []
    video = sample.video_path(root)
    if video is not None:
        items.append(ContentItem("video", str(video)))
    items.append(ContentItem("image", str(sample.image_path(root))))
    items.append(ContentItem("text", render_question(sample)))
    return items
