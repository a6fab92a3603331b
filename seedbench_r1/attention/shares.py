"""Shares and heat maps of a span's attention, from the (response, keys) rows of :mod:`.capture`.

A span's share of a kind = the attention mass its query rows put on the kind's key positions, averaged over
the span's rows. Each kind's share is summed from the weights themselves (none is one minus the others); as
every row sums to 1 over the keys and the kinds partition the keys, the shares sum to 1 up to rounding.
A heat map holds the same mean mass per merged token (a frame group's 81 cells add up to its share).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seedbench_r1.attention.tokens import TokenLayout

SHARE_KEYS = ("frame_groups", "image", "prompt_text", "template", "response")


def span_profile(rows: Any, span: range | None) -> Any:
    """(keys,) float64: the span's rows averaged (None for an empty span)."""
    if span is None or len(span) == 0:
        return None
    return rows[span.start : span.stop].double().mean(dim=0)


def _mass(profile: Any, positions: Sequence[int]) -> float:
    if len(positions) == 0:
        return 0.0
    return float(profile[list(positions)].sum())


def shares(profile: Any, layout: TokenLayout) -> dict[str, Any] | None:
    """``{"frame_groups": [...], "image", "prompt_text", "template", "response"}`` for one span's profile."""
    if profile is None:
        return None
    return {
        "frame_groups": [_mass(profile, g) for g in layout.frame_groups],
        "image": _mass(profile, layout.image),
        "prompt_text": _mass(profile, layout.prompt_text),
        "template": _mass(profile, layout.template),
        "response": _mass(profile, layout.response),
    }


def _grid(profile: Any, positions: range, grid: tuple[int, int]) -> list[list[float]]:
    rows, cols = grid
    cells = profile[positions.start : positions.stop].reshape(rows, cols)  # raster order of the merged tokens
    return [[float(v) for v in row] for row in cells]


def maps(profile: Any, layout: TokenLayout) -> dict[str, Any] | None:
    """``{"frame_groups": [rows x cols per group], "image": rows x cols or None}`` for one span's profile."""
    if profile is None:
        return None
    groups = [_grid(profile, g, layout.group_grid) for g in layout.frame_groups]  # type: ignore[arg-type]
    image = _grid(profile, layout.image, layout.image_grid) if layout.image_grid else None
    return {"frame_groups": groups, "image": image}
