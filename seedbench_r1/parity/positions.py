"""``seedbench-r1 parity``, positions part: the rotary positions each path of a run gives the protocol's inputs.

For every fixture-style prompt of a dataset root (clips and image-only rows of the validation levels, and the
CoT rows for SFT) it computes the (3, seq) M-RoPE positions through:
- ``eval (model class)``: the transformers model as the lmms-eval model class runs it (``seedbench_r1.protocol.rope``
  bound in);
- ``transformers 5.9 stock``: the same model without it;
- ``verl GRPO agent loop (recipe hooks)`` / ``(stock)``: verl's own ``AgentLoopWorker._compute_position_ids`` on
  the processor verl builds, with and without ``verl_recipe.worker_hooks``' patches;
- ``verl SFT (recipe class)`` / ``(stock)``: ``SeedBenchSFTDataset`` and verl's ``MultiTurnSFTDataset``.
The reference is each model's own convention (:func:`seedbench_r1.protocol.rope.rope_index`). The paths the project's
recipes and model class use must equal it; the stock paths are shown for comparison. What the positions do
to the log-probs, and the vLLM paths whose positions cannot be read: :mod:`seedbench_r1.parity.logprobs`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.protocol import rope

PROJECT_PATHS = ("eval (model class)", "verl GRPO agent loop (recipe hooks)", "verl SFT (recipe class)")


@dataclass
class PathResult:
    path: str
    rows: int = 0
    max_delta: int = 0
    first_clip: dict[str, Any] = field(default_factory=dict)  # temporal positions, first text after the video

    @property
    def ok(self) -> bool:
        return self.path not in PROJECT_PATHS or self.max_delta == 0

    def add(self, positions: Any, reference: Any, video: Any) -> None:
        self.rows += 1
        self.max_delta = max(self.max_delta, int((positions - reference).abs().max()))
        if not self.first_clip and video is not None and len(video):
            start = int(positions[0, video[0]])
            groups = sorted({int(p) for p in positions[0, video].tolist()})
            self.first_clip = {
                "temporal": [g - start for g in groups],
                "text_after_video": int(positions[:, int(video[-1]) + 1].min()) - start,
            }


@contextlib.contextmanager
def rope_patches(enabled: bool) -> Iterator[None]:
    """``verl_recipe.worker_hooks``' class patches applied (or removed) for the block, then restored."""
    saved = [(c, n, c.__dict__.get(n)) for c, n, _ in rope.verl_patches()]
    try:
        for cls, name, value in rope.verl_patches():
            if enabled:
                setattr(cls, name, value)
            elif name in cls.__dict__ and cls.__dict__[name] is value:
                delattr(cls, name)
        yield
    finally:
        for cls, name, value in saved:
            if value is None:
                if name in cls.__dict__:
                    delattr(cls, name)
            else:
                setattr(cls, name, value)


def agent_loop_inputs(model_dir: str | os.PathLike[str], hooks: bool) -> Any:
    """What ``AgentLoopWorker``'s input methods read from ``self``: verl's processor, built with or without the
    recipe's worker hooks, its tokenizer, and no recipe-wide processor kwargs (the recipes set none)."""
    from verl.utils.tokenizer import hf_processor

    with rope_patches(hooks):
        processor = hf_processor(str(model_dir))
    worker = type("AgentLoopWorkerInputs", (), {})()
    worker.processor, worker.tokenizer = processor, processor.tokenizer
    worker._get_mm_processor_kwargs = lambda audio_data=None: {}
    return worker


SFT_PATHS = {"verl SFT (recipe class)": "recipe", "verl SFT (stock)": "stock"}


def sft_rows(
    root: str | os.PathLike[str], tokenizer: Any, processor: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path name, row) for every CoT row of ``root`` through the SFT recipe's dataset class and verl's stock
    ``MultiTurnSFTDataset``, unpadded and untruncated (the recipe's ``truncation: error``)."""
    from omegaconf import OmegaConf
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    from verl_recipe.sft_dataset import SeedBenchSFTDataset
    from verl_recipe.sft_parquet import prepare_sft

    classes = {"recipe": SeedBenchSFTDataset, "stock": MultiTurnSFTDataset}
    with tempfile.TemporaryDirectory(prefix="seedbench_r1_parity_") as tmp:
        parquet = Path(tmp) / "cot.parquet"
        prepare_sft(root, "training_with_cot_6k", parquet, progress=False)
        cfg = OmegaConf.create({"max_length": 8192, "truncation": "error", "pad_mode": "no_padding"})
        for name, kind in SFT_PATHS.items():
            dataset = classes[kind](str(parquet), tokenizer, cfg, processor=processor)
            for i in range(len(dataset)):
                yield name, dataset[i]


def _reference(model: Any, ids: Any, types: Any, mm: dict[str, Any]) -> Any:
    """The model's own convention for one unpadded row: (3, seq)."""
    positions, _ = rope.get_rope_index(model.model, ids[None], types[None], **rope.grid_kwargs(mm))
    return positions[:, 0]


def position_report(model_dir: str | os.PathLike[str], root: str | os.PathLike[str]) -> list[PathResult]:
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from verl.experimental.agent_loop.agent_loop import AgentLoopWorker

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

    processor = AutoProcessor.from_pretrained(model_dir)
    model = AutoModelForImageTextToText.from_pretrained(model_dir, dtype=torch.float32).eval()
    stock_rope = type(model.model).get_rope_index
    # The model class binds its positions onto this instance; the class's own method stays the stock one.
    evaluated = SeedBenchR1QwenVL(
        pretrained=str(model_dir), model=model, processor=processor, device="cpu"
    ).model.model
    results = {
        name: PathResult(name)
        for name in (
            "eval (model class)",
            "transformers 5.9 stock",
            "verl GRPO agent loop (recipe hooks)",
            "verl GRPO agent loop (stock)",
            "verl SFT (recipe class)",
            "verl SFT (stock)",
        )
    }

    # verl binds the model class's get_rope_index onto the processor it builds: one per variant
    workers = {hooks: agent_loop_inputs(model_dir, hooks) for hooks in (True, False)}

    def agent_loop(inputs: Any, hooks: bool) -> Any:
        mm = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
        with rope_patches(hooks):
            return AgentLoopWorker._compute_position_ids(
                workers[hooks], inputs["input_ids"], inputs["attention_mask"], mm
            )

    for split in ("validation_L1", "validation_L2", "validation_L3"):
        for sample in load_split(root, split):
            inputs = processor_inputs(processor, [prompt_from_sample(sample, root)])
            ids, types = inputs["input_ids"][0], inputs["mm_token_type_ids"][0]
            reference = _reference(model, ids, types, inputs)
            video = (types == rope.VIDEO).nonzero().flatten()
            kw = rope.grid_kwargs(inputs)
            stock, _ = stock_rope(
                model.model, inputs["input_ids"], mm_token_type_ids=inputs["mm_token_type_ids"], **kw
            )
            ours, _ = evaluated.get_rope_index(
                inputs["input_ids"], mm_token_type_ids=inputs["mm_token_type_ids"], **kw
            )
            results["eval (model class)"].add(ours[:, 0], reference, video)
            results["transformers 5.9 stock"].add(stock[:, 0], reference, video)
            results["verl GRPO agent loop (recipe hooks)"].add(
                agent_loop(inputs, True)[0, 1:], reference, video
            )
            results["verl GRPO agent loop (stock)"].add(agent_loop(inputs, False)[0, 1:], reference, video)

    for name, row in sft_rows(root, processor.tokenizer, processor):
        ids = row["input_ids"]
        types = rope.token_types(ids, processor.tokenizer)
        reference = _reference(model, ids, types, row["multi_modal_inputs"])
        results[name].add(row["position_ids"][1:], reference, (types == rope.VIDEO).nonzero().flatten())
    return list(results.values())
