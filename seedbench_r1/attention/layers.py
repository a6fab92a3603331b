"""``--layers``: which language-model layers' attention is averaged (default: all of them, docs/attention.md)."""

from __future__ import annotations

import re

from seedbench_r1.protocol.errors import UsageError

ALL = "all"
_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_layers(spec: str) -> tuple[int, ...] | None:
    """``all`` -> None (every layer); ``0-27``, ``10,12,14`` or ``0-3,20`` -> sorted distinct indices.

    Only the syntax is checked here; the range is checked once the model's layer count is known
    (:func:`resolve_layers`)."""
    text = spec.strip().lower()
    if text == ALL:
        return None
    chosen: set[int] = set()
    for item in text.split(","):
        match = _ITEM.match(item.strip())
        if match is None:
            raise UsageError(
                f"--layers {spec!r}: {item.strip()!r} is not a layer index or range "
                "(examples: all, 0-27, 10,12,14, 0-3,20)"
            )
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise UsageError(f"--layers {spec!r}: range {item.strip()!r} runs backwards")
        chosen.update(range(first, last + 1))
    return tuple(sorted(chosen))


def resolve_layers(chosen: tuple[int, ...] | None, n_layers: int, model: str) -> list[int]:
    """The layer indices for a model with ``n_layers`` layers; an index it does not have is an error."""
    if chosen is None:
        return list(range(n_layers))
    outside = [i for i in chosen if i >= n_layers]
    if outside:
        raise UsageError(
            f"--layers: layer {outside[0]} is out of range for {model}, which has {n_layers} language-model "
            f"layers (0-{n_layers - 1})"
        )
    return list(chosen)


def describe_layers(layers: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``0-2,5`` (for titles and messages)."""
    parts: list[str] = []
    start = prev = None
    for i in layers:
        if start is None:
            start = prev = i
        elif i == prev + 1:  # type: ignore[operator]
            prev = i
        else:
            parts.append(f"{start}-{prev}" if prev != start else f"{start}")
            start = prev = i
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ",".join(parts)
