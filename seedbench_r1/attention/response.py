"""The response that is teacher-forced: the model's own greedy one, or one logged by an lmms-eval run.

Generated: through the lmms-eval model class's HF path (its inputs, its generation config built from the
task's ``generation_kwargs``), keeping the generated token ids themselves, cut before the first stop token
(the model class decodes the same tokens with ``skip_special_tokens``). Logged: the text is re-tokenized, which
need not give the tokens the model generated; ``retokenized_exact`` says whether decode(encode(text)) == text.
"""

from __future__ import annotations

from typing import Any

import yaml

from seedbench_r1.protocol.errors import SeedBenchError

# The settings every task of the project shares, generation_kwargs among them (in lmms_eval_tasks/).
TASK_TEMPLATE = "_r1_protocol.yaml"


class _TaskLoader(yaml.SafeLoader):
    """Reads the task YAML's ``!function`` tags as plain strings (only ``generation_kwargs`` is wanted)."""


_TaskLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def task_gen_kwargs(max_new_tokens: int | None = None) -> dict[str, Any]:
    """The SEED-Bench-R1 tasks' ``generation_kwargs`` (greedy, 1024 new tokens), ``max_new_tokens`` overridden.

    ``until`` is left out: the tasks set none (``until: []``), and a stop string would cut text, not tokens."""
    from lmms_eval_tasks import tasks_path

    path = tasks_path() / TASK_TEMPLATE
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)
    kwargs = dict(data["generation_kwargs"])
    if kwargs.pop("until", None):
        raise SeedBenchError(f"{path}: generation_kwargs.until is set; the attention command assumes none")
    if max_new_tokens is not None:
        kwargs["max_new_tokens"] = int(max_new_tokens)
    return kwargs


def load_model(path: str, device: str | None, dtype: str | None) -> Any:
    """The lmms-eval model class on the HF backend (its sdpa attention, dtype and M-RoPE convention)."""
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    return SeedBenchR1QwenVL(pretrained=path, backend="hf", device=device, dtype=dtype, batch_size=1)


def stop_ids(lm: Any, cfg: Any) -> set[int]:
    eos = cfg.eos_token_id
    ids = set(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
    if lm.pad_token_id is not None:
        ids.add(int(lm.pad_token_id))
    return {int(i) for i in ids}


def generate_ids(lm: Any, inputs: Any, gen_kwargs: dict[str, Any]) -> list[int]:
    """The greedy response's token ids, before the first stop token (as the model class generates it)."""
    import torch

    cfg = lm.generation_config(gen_kwargs)
    with torch.inference_mode():
        out = lm.model.generate(**inputs, generation_config=cfg)
    new = out[0, inputs["input_ids"].shape[1] :].tolist()
    stops = stop_ids(lm, cfg)
    end = next((i for i, t in enumerate(new) if t in stops), len(new))
    return [int(t) for t in new[:end]]


def decode(tokenizer: Any, ids: list[int]) -> str:
    """The text the model class reports for ``ids``."""
    return tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)


def encode_logged(tokenizer: Any, text: str) -> tuple[list[int], bool]:
    """``(ids, decode(ids) == text)`` for a logged response. Marker-like strings in it (``<|im_end|>``) are
    text: the model class's decode dropped the real special tokens, so none can be in a logged response."""
    ids = tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    return [int(t) for t in ids], decode(tokenizer, ids) == text
