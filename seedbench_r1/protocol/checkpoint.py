"""Which checkpoints the protocol is defined for, checked from a folder's ``config.json`` before any model loads.

The frame rule, the prompt layout and the rotary positions (:mod:`.rope`) are Qwen2-VL's and Qwen2.5-VL's; a
folder of another architecture, a text-only model or a config without ``model_type`` is named in one line
instead of failing deep inside transformers after minutes of loading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SUPPORTED_MODEL_TYPES = ("qwen2_vl", "qwen2_5_vl")


def _config(folder: Path) -> tuple[dict | None, str | None]:
    path = folder / "config.json"
    if not path.is_file():
        return None, f"{folder} is not a checkpoint folder (no config.json)"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        return None, f"{path}: not a readable JSON config ({' '.join(str(exc).split())})"
    if not isinstance(config, dict):
        return None, f"{path}: not a JSON object"
    return config, None


def checkpoint_problem(folder: str | os.PathLike[str]) -> str | None:
    """Why the checkpoint folder cannot run under the protocol, or None."""
    config, problem = _config(Path(folder))
    if config is None:
        return problem
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        return f"{Path(folder) / 'config.json'}: no model_type; not a transformers checkpoint config"
    if model_type not in SUPPORTED_MODEL_TYPES:
        kind = " (a text-only model: it has no vision tower)" if "vision_config" not in config else ""
        return f"{folder} is a {model_type!r} checkpoint{kind}; supported: {', '.join(SUPPORTED_MODEL_TYPES)}"
    return None


def context_length(folder: str | os.PathLike[str]) -> int | None:
    """The language model's context (``max_position_embeddings``) from a checkpoint folder, or None."""
    config, _ = _config(Path(folder))
    if config is None:
        return None
    for section in (config.get("text_config"), config):
        value = section.get("max_position_embeddings") if isinstance(section, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None
