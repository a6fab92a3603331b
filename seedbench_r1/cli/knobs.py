"""argparse types that check a knob when the command line is parsed, so a bad value is one line naming the flag
(exit 2) before any model or dataset loads, never a framework's traceback minutes later."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """A whole number in [low, high] (either bound may be open)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_range(low, high)}, got {value}")
        return value

    return parse


def number(
    low: float | None = None, high: float | None = None, *, low_open: bool = False
) -> Callable[[str], float]:
    """A finite number in [low, high], or (low, high] with ``low_open``; nan and inf are refused."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        bad_low = low is not None and (value <= low if low_open else value < low)
        if not math.isfinite(value) or bad_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_range(low, high, low_open)}, got {text}")
        return value

    return parse


def _range(low: float | None, high: float | None, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    return f"<= {high:g}" if high is not None else "a number"


def key_values(flag: str, text: str) -> dict:
    """``a=1,b=x`` -> {"a": 1, "b": "x"}, typed the way lmms-eval's --model_args are."""
    if not text:
        return {}
    from lmms_eval.utils import simple_parse_args_string

    from seedbench_r1.protocol.errors import UsageError

    try:
        return simple_parse_args_string(text)
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r}: {exc}") from None
