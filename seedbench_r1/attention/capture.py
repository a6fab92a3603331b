"""One teacher-forced forward pass over prompt + response, with the chosen layers' attention weights captured
by forward hooks and reduced on the spot.

transformers 5.9.0: ``Qwen2VLAttention.forward`` / ``Qwen2_5_VLAttention.forward`` return
``(attn_output, attn_weights)`` to their forward hooks; with eager attention ``attn_weights`` is the softmax
(batch, heads, queries, keys), with sdpa it is None (sdpa computes no weights). Each hook keeps only the
response-token query rows, averages the heads and adds the result to a running (response, keys) sum, so at
most one layer's matrix exists at a time (``output_attentions=True`` would keep every layer's until the end).
Only the language model switches to eager; the vision tower keeps the model class's sdpa.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

# Processor outputs rebuilt here for prompt + response; everything else it returned (pixels, grids, Qwen2.5-VL's
# second_per_grid_ts) goes to the forward pass unchanged, as the model class passes it to generate().
TOKEN_KEYS = ("input_ids", "attention_mask", "mm_token_type_ids")


def media_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if k not in TOKEN_KEYS and v is not None}


def decoder_layers(model: Any) -> Sequence[Any]:
    """The language model's decoder layers of a loaded Qwen2-VL / Qwen2.5-VL."""
    inner = getattr(model, "model", model)
    layers = getattr(getattr(inner, "language_model", None), "layers", None)
    if layers is None:
        raise TypeError(
            f"{type(model).__name__}: no language_model.layers (not a Qwen2-VL / Qwen2.5-VL model)"
        )
    return layers


@contextmanager
def eager_text_attention(model: Any) -> Iterator[None]:
    """The language model on eager attention inside the block, back to its own implementation after."""
    before = model.config.text_config._attn_implementation
    model.set_attn_implementation({"text_config": "eager"})
    try:
        yield
    finally:
        model.set_attn_implementation({"text_config": before})


class ResponseAttention:
    """Forward hooks on the chosen layers' self-attention modules, summing each layer's head-mean rows."""

    def __init__(self, model: Any, layers: Sequence[int], query_start: int) -> None:
        self.modules = [decoder_layers(model)[i].self_attn for i in layers]
        self.query_start = query_start
        self.total: Any = None
        self.seen = 0
        self._handles: list[Any] = []

    def __enter__(self) -> ResponseAttention:
        self._handles = [m.register_forward_hook(self._hook) for m in self.modules]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, module: Any, args: Any, output: Any) -> None:
        import torch

        weights = output[1] if isinstance(output, tuple) and len(output) > 1 else None
        if weights is None:
            raise RuntimeError(
                "no attention weights from the hook: the language model is not on eager attention"
            )
        # (heads, response queries, keys) -> mean over heads, in float32 whatever the model's dtype
        rows = weights[0, :, self.query_start :, :].mean(dim=0, dtype=torch.float32)
        self.total = rows if self.total is None else self.total + rows
        self.seen += 1

    def mean(self) -> Any:
        """(response tokens, keys) float32 on the CPU: attention averaged over heads and the chosen layers."""
        if self.seen != len(self.modules):
            raise RuntimeError(f"{self.seen} hook calls for {len(self.modules)} layers")
        return (self.total / self.seen).cpu()


def response_attention(
    model: Any, inputs: Mapping[str, Any], response_ids: Sequence[int], layers: Sequence[int]
) -> Any:
    """Teacher-force ``response_ids`` after the prompt ``inputs`` (one row, as
    :func:`seedbench_r1.protocol.qwen_inputs.processor_inputs` returns it) and return the (response, prompt + response)
    attention rows, averaged over heads and ``layers``."""
    import torch

    prompt_ids = inputs["input_ids"]
    if prompt_ids.shape[0] != 1:
        raise ValueError(f"one prompt at a time, got a batch of {prompt_ids.shape[0]}")
    extra = torch.tensor([list(response_ids)], dtype=prompt_ids.dtype, device=prompt_ids.device)
    ids = torch.cat([prompt_ids, extra], dim=1)
    # the response is text: token type 0 for the positions (seedbench_r1/protocol/rope.py reads them)
    types = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(extra)], dim=1)
    capture = ResponseAttention(model, layers, query_start=prompt_ids.shape[1])
    with eager_text_attention(model), capture, torch.inference_mode():
        # logits_to_keep=1: the LM head's (tokens x vocabulary) logits are never needed here
        model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=types,
            use_cache=False,
            logits_to_keep=1,
            **media_inputs(inputs),
        )
    return capture.mean()
