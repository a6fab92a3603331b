"""Which kind of token sits at each position of prompt + response (pure: token ids and grids in, positions out).

Every key position gets exactly one kind (docs/attention.md):

- ``frame_groups[g]``: the merged video tokens of temporal group g. ``video_grid_thw`` (T, H, W) counts
  patches before the spatial merge, so group g holds (H / m) * (W / m) tokens in raster order (m = the merge
  size, 2): 16 frames of 252 x 252 give (8, 18, 18), 8 groups of 9 x 9 = 81 tokens, each group two frames;
- ``image``: the observation image's merged tokens (grid (1, 18, 18): 9 x 9 = 81);
- ``prompt_text``: the user turn's text, i.e. the question, the options and the instruction: the tokens after
  the prompt's last ``<|vision_end|>`` up to the ``<|im_end|>`` that closes the user turn. The chat template
  puts the text right after the vision blocks, and both markers are special tokens, so these are exactly the
  tokens of the text string;
- ``template``: every other prompt token: the system turn, role headers (``<|im_start|>user\\n``...), the
  ``<|vision_start|>`` / ``<|vision_end|>`` markers, ``<|im_end|>``, the assistant header;
- ``response``: the response tokens (a response query sees itself and the earlier response tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecialIds:
    """The token ids the layout is read from."""

    video: int
    image: int
    vision_end: int
    im_end: int

    @classmethod
    def from_model(cls, config: object, tokenizer: object) -> SpecialIds:
        im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")  # type: ignore[attr-defined]
        return cls(
            video=int(config.video_token_id),  # type: ignore[attr-defined]
            image=int(config.image_token_id),  # type: ignore[attr-defined]
            vision_end=int(config.vision_end_token_id),  # type: ignore[attr-defined]
            im_end=int(im_end),
        )


@dataclass(frozen=True)
class TokenLayout:
    """Key positions of each kind; ``*_grid`` is (rows, cols) of one frame group's / the image's merged tokens."""

    length: int
    prompt_length: int
    frame_groups: tuple[range, ...]
    group_grid: tuple[int, int] | None
    image: range
    image_grid: tuple[int, int] | None
    prompt_text: range
    template: tuple[int, ...]
    response: range

    def kinds(self) -> dict[str, Sequence[int]]:
        """Every kind by name (``frame_group_0``... first), in the order the shares list them."""
        named: dict[str, Sequence[int]] = {f"frame_group_{g}": r for g, r in enumerate(self.frame_groups)}
        named |= {
            "image": self.image,
            "prompt_text": self.prompt_text,
            "template": self.template,
            "response": self.response,
        }
        return named

    def counts(self) -> dict[str, int]:
        per_group = len(self.frame_groups[0]) if self.frame_groups else 0
        return {
            "total": self.length,
            "prompt": self.prompt_length,
            "video": per_group * len(self.frame_groups),
            "frame_groups": len(self.frame_groups),
            "per_frame_group": per_group,
            "image": len(self.image),
            "prompt_text": len(self.prompt_text),
            "template": len(self.template),
            "response": len(self.response),
        }


def _block(
    prompt: Sequence[int], token: int, grid: Sequence[int] | None, merge: int, what: str
) -> tuple[range, int, tuple[int, int] | None]:
    """The one contiguous run of ``token`` in the prompt, (t, rows, cols) of its merged grid checked."""
    positions = [i for i, t in enumerate(prompt) if t == token]
    if grid is None:
        if positions:
            raise ValueError(f"{len(positions)} {what} tokens in the prompt but no {what} grid")
        return range(0), 0, None
    t, h, w = (int(v) for v in grid)
    if h % merge or w % merge:
        raise ValueError(f"{what} grid {t}x{h}x{w} is not divisible by the merge size {merge}")
    rows, cols = h // merge, w // merge
    expected = t * rows * cols
    if len(positions) != expected:
        raise ValueError(
            f"{len(positions)} {what} tokens in the prompt, the grid {t}x{h}x{w} needs {expected}"
        )
    if positions and positions[-1] - positions[0] + 1 != len(positions):
        raise ValueError(f"the {what} tokens are not one contiguous block")
    start = positions[0] if positions else 0
    return range(start, start + expected), t, (rows, cols)


def build_layout(
    input_ids: Sequence[int],
    prompt_length: int,
    ids: SpecialIds,
    *,
    video_grid: Sequence[int] | None,
    image_grid: Sequence[int] | None,
    merge_size: int = 2,
) -> TokenLayout:
    """The layout of ``input_ids`` (prompt + response; the first ``prompt_length`` are the prompt).

    At most one video and one image (a SEED-Bench-R1 prompt has an optional clip and always the image)."""
    ids_list = [int(t) for t in input_ids]
    if not 0 < prompt_length <= len(ids_list):
        raise ValueError(f"prompt length {prompt_length} outside 1..{len(ids_list)}")
    prompt = ids_list[:prompt_length]
    video, groups, group_grid = _block(prompt, ids.video, video_grid, merge_size, "video")
    image, image_groups, image_grid_rc = _block(prompt, ids.image, image_grid, merge_size, "image")
    if image_groups > 1:
        raise ValueError(f"an image grid with {image_groups} temporal groups; expected 1")
    per_group = len(video) // groups if groups else 0
    frame_groups = tuple(
        range(video.start + g * per_group, video.start + (g + 1) * per_group) for g in range(groups)
    )

    ends = [i for i, t in enumerate(prompt) if t == ids.vision_end]
    if not ends:
        raise ValueError("no <|vision_end|> in the prompt: cannot find where the user text starts")
    text_start = ends[-1] + 1
    closes = [i for i in range(text_start, prompt_length) if prompt[i] == ids.im_end]
    if not closes:
        raise ValueError("no <|im_end|> after the last vision block: cannot find where the user text ends")
    prompt_text = range(text_start, closes[0])

    taken = set(video) | set(image) | set(prompt_text)
    template = tuple(i for i in range(prompt_length) if i not in taken)
    return TokenLayout(
        length=len(ids_list),
        prompt_length=prompt_length,
        frame_groups=frame_groups,
        group_grid=group_grid,
        image=image,
        image_grid=image_grid_rc,
        prompt_text=prompt_text,
        template=template,
        response=range(prompt_length, len(ids_list)),
    )
