"""The per-sample PNG: each temporal group's first frame and the observation image under their heat maps
(the ``all`` span's mean attention per merged token, upsampled cell by cell; one colour scale for every panel
so that panels compare), then the response split into think / answer, the answer, the gold and the shares."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from seedbench_r1.attention.layers import describe_layers
from seedbench_r1.files import write_with
from seedbench_r1.protocol.qwen_inputs import VisionPrompt

MAX_TEXT_LINES = 14  # of the response; a longer one is shortened in the middle of each part
WRAP = 130


def _parts(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) pieces of the response: think, answer and anything outside them, in order."""
    from seedbench_r1.attention.spans import tag_spans

    raw = record["response"].encode("utf-8")
    tags = tag_spans(raw)
    cuts = sorted((span[0], span[1], name) for name, span in tags.items() if span is not None)
    parts, at = [], 0
    for start, end, name in cuts:
        start = max(start, at)
        if start > at:
            parts.append(("other", raw[at:start]))
        if end > start:
            parts.append((name, raw[start:end]))
        at = max(at, end)
    if at < len(raw):
        parts.append(("other", raw[at:]))
    return [(label, text.decode("utf-8", errors="replace")) for label, text in parts]


def _text_lines(record: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    parts = _parts(record) or [("other", "")]
    budget = max(2, MAX_TEXT_LINES // len(parts))
    for label, text in parts:
        wrapped = textwrap.wrap(" ".join(text.split()), WRAP) or [""]
        if len(wrapped) > budget:
            wrapped = [*wrapped[: budget - 1], f"... ({len(wrapped) - budget + 1} more lines)"]
        lines.append(f"[{label}] {wrapped[0]}")
        lines.extend(f"        {w}" for w in wrapped[1:])
    return lines


def _share_line(name: str, s: dict[str, Any] | None) -> str:
    if s is None:
        return f"{name:>6}: empty span"
    video = sum(s["frame_groups"])
    groups = " ".join(f"{100 * v:.1f}" for v in s["frame_groups"])
    return (
        f"{name:>6}: video {100 * video:.1f}% [{groups}]  image {100 * s['image']:.1f}%  "
        f"prompt_text {100 * s['prompt_text']:.1f}%  template {100 * s['template']:.1f}%  "
        f"response {100 * s['response']:.1f}%"
    )


def draw(record: dict[str, Any], prompt: VisionPrompt, path: Path) -> Path:
    """Write the PNG for ``record`` (its ``maps["all"]``) with ``prompt``'s frames and image."""
    import matplotlib

    matplotlib.use("Agg")  # files only
    import matplotlib.pyplot as plt
    import numpy as np

    heat_maps = record["maps"]["all"]  # None for an empty response: the pictures are shown bare
    span = record["spans"]["all"]
    n_groups = int(record["n_tokens"]["frame_groups"])
    frames = prompt.clip.as_numpy() if prompt.clip is not None else np.zeros((0, 1, 1, 3), np.uint8)
    per_group = len(frames) // n_groups if n_groups else 0
    panels: list[tuple[Any, Any, str]] = []
    for g in range(n_groups):
        first = g * per_group
        title = f"frames {first}-{first + per_group - 1}"
        cells = None
        if heat_maps is not None:
            cells = np.asarray(heat_maps["frame_groups"][g])
            title += f"\n{100 * span['frame_groups'][g]:.1f}%"
        panels.append((frames[first], cells, title))
    image_cells = None if heat_maps is None or heat_maps["image"] is None else np.asarray(heat_maps["image"])
    image_title = "image" + ("" if span is None else f"\n{100 * span['image']:.1f}%")
    panels.append((np.asarray(prompt.image), image_cells, image_title))
    heat = [p[1] for p in panels if p[1] is not None]
    vmax = max((float(m.max()) for m in heat), default=0.0) or 1.0

    lines = _text_lines(record)
    shares = [_share_line(name, record["spans"][name]) for name in ("all", "think", "answer")]
    verdict = (
        f"answer: {record['pred'] or 'none'}   gold: {record['gold']}   "
        f"{'correct' if record['correct'] else 'wrong'}   ({record['response_source']} response)"
    )
    cols = len(panels)
    # heights in inches: header, panels (with their two-line titles), then the text block
    header_h, panel_h, text_h = 0.3, 2.2, 0.15 * (len(lines) + len(shares) + 3)
    height = header_h + panel_h + text_h
    fig = plt.figure(figsize=(max(10.0, 1.9 * cols), height), dpi=110)
    for i, (picture, cells, title) in enumerate(panels):
        bottom = (text_h + 0.05) / height
        ax = fig.add_axes((i / cols + 0.005, bottom, 1 / cols - 0.01, (panel_h - 0.45) / height))
        h, w = picture.shape[:2]
        ax.imshow(picture, extent=(0, w, h, 0))
        if cells is not None:
            ax.imshow(
                cells,
                cmap="jet",
                alpha=0.45,
                vmin=0.0,
                vmax=vmax,
                extent=(0, w, h, 0),
                interpolation="nearest",
            )
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
    scale = (
        f"mean attention of all response tokens per merged token; one colour scale, max {100 * vmax:.2f}%"
        if heat
        else "empty response: no attention to map"
    )
    where = f"{record['model']}  {record['split']}:{record['sample_id']}"
    header = f"{where}  layers {describe_layers(record['layers'])}  ({scale})"
    fig.text(0.01, 0.995, header, fontsize=8, va="top", parse_math=False)
    body = "\n".join([verdict, *shares, "", *lines])
    fig.text(0.01, text_h / height, body, fontsize=7, va="top", family="monospace", parse_math=False)
    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)
