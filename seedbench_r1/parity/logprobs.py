"""``seedbench-r1 parity``, log-prob part: what each path of a run makes of one fixed response, at the logits.

Every validation prompt of a root gets the same fixed response (:data:`RESPONSE`, teacher-forced); every CoT row
keeps its own. Each path computes the response tokens' log-probs the way a run does:
- ``eval HF (model class)``: the model class's transformers model (its positions bound in);
- ``eval vLLM (model class)``: the model class's vLLM engine and requests (prompt log-probs), and the planted
  regression ``eval vLLM, clip metadata dropped`` (the clip as a ``(frames, metadata)`` item, which vLLM 0.24
  drops for Qwen2/2.5-VL);
- ``verl rollout (recipe agent loop)`` / ``(stock agent loop)``: the request verl's agent loop makes (run for
  real; only the server call is recorded) sent to vLLM the way verl's vLLM server sends it;
- ``verl GRPO training (recipe hooks)`` / ``(stock)``: the agent loop's training inputs and position ids
  (``AgentLoopWorker._compute_multi_modal_inputs`` / ``_compute_position_ids``) through the model as verl's
  FSDP engine runs it without remove-padding (verl's monkey patch applied; the engine itself and the
  flash-attn remove-padding variant need a GPU);
- ``verl SFT (recipe class)`` / ``(stock)``: the SFT dataset's rows (ids, position ids, vision inputs) through
  the same verl-patched forward, over the loss-masked tokens.
The reference of each row is the stock transformers model given the model's own positions
(:func:`seedbench_r1.protocol.rope.get_rope_index`) explicitly, on that path's own token ids and vision inputs, in
float32. A project path passes within :data:`TOLERANCE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbench_r1.parity.positions import SFT_PATHS, agent_loop_inputs, rope_patches, sft_rows
from seedbench_r1.protocol import rope

# Measured on the fixture (2026-12-02), float32 on CPU: the project paths agree within 1e-6; the tolerance leaves
# two orders of magnitude for other CPUs' kernels. Each planted regression must exceed it at least tenfold.
TOLERANCE = 1e-4
RESPONSE = (
    "<think>The person has rinsed the cup and put it on the rack, so the next step is to dry the hands."
    "</think><answer>B</answer>"
)
PROJECT_PATHS = (
    "eval HF (model class)",
    "eval vLLM (model class)",
    "verl rollout (recipe agent loop)",
    "verl GRPO training (recipe hooks)",
    "verl SFT (recipe class)",
)
VLLM_PATHS = ("eval vLLM (model class)", "eval vLLM, clip metadata dropped") + (
    "verl rollout (recipe agent loop)",
    "verl rollout (stock agent loop)",
)


@dataclass
class LogprobResult:
    path: str
    rows: int = 0
    max_delta: float = 0.0  # max |delta log-prob| of a response token against the row's reference
    skipped: str = ""  # why the path did not run (vLLM not installed or not asked for)

    @property
    def project(self) -> bool:
        return self.path in PROJECT_PATHS

    @property
    def ok(self) -> bool:
        if not self.project or self.skipped:
            return True
        return self.rows > 0 and self.max_delta <= TOLERANCE

    def add(self, values: Any, reference: Any) -> None:
        import torch

        values, reference = torch.as_tensor(values), torch.as_tensor(reference)
        if values.shape != reference.shape:
            raise ValueError(
                f"{self.path}: {values.numel()} log-probs against {reference.numel()} reference ones"
            )
        self.rows += 1
        self.max_delta = max(self.max_delta, float((values - reference).abs().max()))


def token_logprobs(logits: Any, ids: Any, start: int) -> Any:
    """Log-probs of ``ids[0, start:]`` from (1, L, vocab) logits (float32)."""
    import torch

    lp = torch.log_softmax(logits[0, start - 1 : -1].float(), -1)
    return lp.gather(-1, ids[0, start:, None]).squeeze(-1)


def reference_logprobs(model: Any, tokenizer: Any, ids: Any, vision: dict[str, Any], start: int) -> Any:
    """The model's own convention: stock forward, positions of :func:`rope.get_rope_index` given explicitly."""
    import torch

    types = rope.token_types(ids, tokenizer)
    positions, _ = rope.get_rope_index(model.model, ids, types, **rope.grid_kwargs(vision))
    text = torch.arange(ids.shape[1])[None, None]
    pixels = {k: v for k, v in vision.items() if k in _PIXEL_KEYS}
    with torch.inference_mode(), _stock(model):
        out = model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            position_ids=torch.cat([text, positions]),
            mm_token_type_ids=types,
            **pixels,
        )
    return token_logprobs(out.logits, ids, start)


_PIXEL_KEYS = (
    "pixel_values",
    "pixel_values_videos",
    "image_grid_thw",
    "video_grid_thw",
    "second_per_grid_ts",
)


@contextlib.contextmanager
def _stock(model: Any) -> Iterator[None]:
    """The model without an instance-bound ``get_rope_index`` (the model class binds one) for the block."""
    inner = model.model
    bound = inner.__dict__.pop("get_rope_index", None)
    try:
        yield
    finally:
        if bound is not None:
            inner.get_rope_index = bound


@contextlib.contextmanager
def verl_forward(model: Any) -> Iterator[None]:
    """verl's monkey patch of the Qwen-VL forwards (as its FSDP engine applies it, remove-padding off) for the
    block; the classes are restored afterwards. verl prints what it patches: kept off stdout."""
    from transformers.models.qwen2_5_vl import modeling_qwen2_5_vl as m25
    from transformers.models.qwen2_vl import modeling_qwen2_vl as m2
    from verl.models.transformers.monkey_patch import apply_monkey_patch

    classes = (
        m2.Qwen2VLModel,
        m2.Qwen2VLForConditionalGeneration,
        m25.Qwen2_5_VLModel,
        m25.Qwen2_5_VLForConditionalGeneration,
    )
    saved = [(c, c.__dict__["forward"]) for c in classes]
    try:
        with contextlib.redirect_stdout(sys.stderr):
            apply_monkey_patch(model, use_remove_padding=False)
        yield
    finally:
        for cls, forward in saved:
            cls.forward = forward


def _verl_logprobs(model: Any, ids: Any, position_ids: Any, vision: dict[str, Any], start: int) -> Any:
    """(4, L) position ids and one row's vision inputs through the (verl-patched) model, as the engine feeds it."""
    import torch
    from verl.utils.model import extract_multi_modal_inputs

    mm = extract_multi_modal_inputs([vision])
    with torch.inference_mode():
        out = model(
            input_ids=ids, attention_mask=torch.ones_like(ids), position_ids=position_ids[:, None], **mm
        )
    return token_logprobs(out.logits, ids, start)


class _Recorder:
    """Stands in for verl's rollout server manager: records the request, answers with the fixed response."""

    def __init__(self, response: list[int]) -> None:
        self.response = response
        self.calls: list[dict[str, Any]] = []

    async def generate(self, **kwargs: Any) -> Any:
        from verl.workers.rollout.replica import TokenOutput

        self.calls.append(kwargs)
        return TokenOutput(token_ids=list(self.response))


def _vllm_prompt_logprobs(llm: Any, request: Any, tokens: list[int]) -> list[float]:
    from vllm import SamplingParams

    (out,) = llm.generate(
        [request], SamplingParams(max_tokens=1, temperature=0, prompt_logprobs=0), use_tqdm=False
    )
    if list(out.prompt_token_ids[-len(tokens) :]) != tokens:
        raise RuntimeError(
            "vLLM tokenized the prompt and response differently from the response's own tokens"
        )
    return [step[t].logprob for step, t in zip(out.prompt_logprobs[-len(tokens) :], tokens, strict=True)]


@dataclass
class _Run:
    """What every path of one report shares: the model class's model in float32, its processor, the fixed
    response's token ids, the vLLM engine (or None) and the results by path."""

    model_dir: str
    root: str | os.PathLike[str]
    model: Any
    processor: Any
    response: list[int]
    engine: Any
    results: dict[str, LogprobResult]

    @property
    def tokenizer(self) -> Any:
        return self.processor.tokenizer

    def add(self, path: str, values: Any, reference: Any) -> None:
        self.results[path].add(values, reference)


VALIDATION = ("validation_L1", "validation_L2", "validation_L3")


def logprob_report(
    model_dir: str | os.PathLike[str],
    root: str | os.PathLike[str],
    *,
    vllm: bool = True,
    vllm_memory: float = 0.1,
) -> list[LogprobResult]:
    """Max |delta log-prob| per path over the root's validation prompts (and CoT rows for SFT)."""
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    names = (
        "eval HF (model class)",
        "transformers 5.9 stock",
        *VLLM_PATHS,
        "verl GRPO training (recipe hooks)",
        "verl GRPO training (stock)",
        *SFT_PATHS,
    )
    lm = SeedBenchR1QwenVL(pretrained=str(model_dir), device="cpu", dtype="float32")
    engine = None
    if vllm:
        engine = SeedBenchR1QwenVL(
            pretrained=str(model_dir),
            backend="vllm",
            max_model_len=4096,
            gpu_memory_utilization=vllm_memory,
            enforce_eager=True,
            skip_mm_profiling=True,
        )
    response = lm.processor.tokenizer(RESPONSE, add_special_tokens=False)["input_ids"]
    run = _Run(
        str(model_dir), root, lm.model, lm.processor, response, engine, {n: LogprobResult(n) for n in names}
    )
    if engine is None:
        for name in VLLM_PATHS:
            run.results[name].skipped = "--no-vllm"
    _evaluation_paths(run)
    _grpo_paths(run)
    _sft_paths(run)
    return list(run.results.values())


def _evaluation_paths(run: _Run) -> None:
    """The model class's HF model (and the stock one), its vLLM engine (and the planted metadata drop)."""
    import torch

    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

    model, extra = run.model, torch.tensor([run.response])
    for split in VALIDATION:
        for sample in load_split(run.root, split):
            prompt = prompt_from_sample(sample, run.root)
            inputs = processor_inputs(run.processor, [prompt])
            start = inputs["input_ids"].shape[1]
            ids = torch.cat([inputs["input_ids"], extra], 1)
            vision = {k: v for k, v in inputs.items() if k in _PIXEL_KEYS}
            types = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(extra)], 1)
            reference = reference_logprobs(model, run.tokenizer, ids, vision, start)
            forward = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "mm_token_type_ids": types}
            with torch.inference_mode():
                ours = model(**forward, **vision)
                with _stock(model):
                    stock = model(**forward, **vision)
            run.add("eval HF (model class)", token_logprobs(ours.logits, ids, start), reference)
            run.add("transformers 5.9 stock", token_logprobs(stock.logits, ids, start), reference)
            if run.engine is None:
                continue
            (request,) = run.engine.vllm_requests([prompt])
            request = {**request, "prompt": request["prompt"] + RESPONSE}
            run.add(
                "eval vLLM (model class)",
                _vllm_prompt_logprobs(run.engine.model, request, run.response),
                reference,
            )
            if prompt.clip is not None:
                dropped = {
                    "prompt": request["prompt"],
                    "multi_modal_data": {
                        "image": prompt.image,
                        "video": [(prompt.clip.as_numpy(), prompt.video_metadata())],
                    },
                }
                values = _vllm_prompt_logprobs(run.engine.model, dropped, run.response)
                run.add("eval vLLM, clip metadata dropped", values, reference)


def _grpo_paths(run: _Run) -> None:
    """verl's GRPO side on the validation parquet: the rollout request of the recipe's and the stock agent loop
    (through vLLM), and the training forward with and without the recipe's position hooks."""
    import torch
    from transformers import AutoConfig
    from verl.experimental.agent_loop.agent_loop import AgentLoopWorker, DictConfigWrap
    from verl.experimental.agent_loop.single_turn_agent_loop import SingleTurnAgentLoop
    from verl.trainer.ppo.utils import create_rl_dataset

    from verl_recipe.agent_loop import SeedBenchAgentLoop
    from verl_recipe.cpu_step import compose_named_recipe
    from verl_recipe.rl_parquet import prepare_rl

    with tempfile.TemporaryDirectory(prefix="seedbench_r1_parity_") as tmp:
        parquets = [Path(tmp) / f"{split}.parquet" for split in VALIDATION]
        for split, parquet in zip(VALIDATION, parquets, strict=True):
            prepare_rl(run.root, split, parquet, progress=False)
        cfg = compose_named_recipe(
            "seedbench_r1_grpo_smoke",
            [
                f"actor_rollout_ref.model.path={run.model_dir}",
                f"data.train_files=[{parquets[0]}]",
                f"data.val_files=[{','.join(map(str, parquets))}]",
            ],
        )
        dataset = create_rl_dataset(
            [str(p) for p in parquets], cfg.data, run.tokenizer, run.processor, is_train=False
        )
        model_type = AutoConfig.from_pretrained(run.model_dir).model_type
        event_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(event_loop)  # verl's agent loop binds the current loop when it is built
        # verl binds the model class's get_rope_index onto the processor it builds: one per variant
        workers = {hooks: agent_loop_inputs(run.model_dir, hooks) for hooks in (True, False)}
        try:
            for i in range(len(dataset)):
                outputs, rollout = {}, {}
                for name, cls in (("recipe", SeedBenchAgentLoop), ("stock", SingleTurnAgentLoop)):
                    recorder = _Recorder(run.response)
                    loop = cls(
                        trainer_config=DictConfigWrap(cfg),
                        server_manager=recorder,
                        tokenizer=run.tokenizer,
                        processor=workers[True].processor,
                        dataset_cls=type(dataset),
                        data_config=DictConfigWrap(cfg.data),
                        hf_model_type=model_type,
                    )
                    outputs[name] = event_loop.run_until_complete(
                        loop.run({}, raw_prompt=dataset[i]["raw_prompt"])
                    )
                    if run.engine is not None:
                        request = _server_request(recorder.calls[0], run.response, run.processor)
                        rollout[name] = _vllm_prompt_logprobs(run.engine.model, request, run.response)
                out = outputs["recipe"]
                ids = torch.tensor([list(out.prompt_ids) + list(out.response_ids)])
                start = len(out.prompt_ids)
                vision = AgentLoopWorker._compute_multi_modal_inputs(workers[True], out, ids)
                reference = reference_logprobs(run.model, run.tokenizer, ids, vision, start)
                # verl's position code pops mm_token_type_ids from the inputs it then trains on
                trained_inputs = {k: v for k, v in vision.items() if k != "mm_token_type_ids"}
                for name, values in rollout.items():
                    run.add(f"verl rollout ({name} agent loop)", values, reference)
                for name, hooks in (("recipe hooks", True), ("stock", False)):
                    with rope_patches(hooks):
                        positions = AgentLoopWorker._compute_position_ids(
                            workers[hooks], ids, torch.ones_like(ids), dict(vision), out.mm_processor_kwargs
                        )[0]
                    with verl_forward(run.model), _stock(run.model):
                        values = _verl_logprobs(run.model, ids, positions, trained_inputs, start)
                    run.add(f"verl GRPO training ({name})", values, reference)
        finally:
            event_loop.close()
            asyncio.set_event_loop(None)


def _sft_paths(run: _Run) -> None:
    """verl's SFT forward on the CoT rows, through the recipe's dataset class and the stock one, over the
    loss-masked tokens."""
    for name, row in sft_rows(run.root, run.tokenizer, run.processor):
        ids = row["input_ids"][None]
        start = int(row["loss_mask"].nonzero()[0])
        trained = row["loss_mask"][start:].bool()  # the response tokens the loss sees
        vision = dict(row["multi_modal_inputs"])
        reference = reference_logprobs(run.model, run.tokenizer, ids, vision, start)[trained]
        with verl_forward(run.model), _stock(run.model):
            values = _verl_logprobs(run.model, ids, row["position_ids"], vision, start)[trained]
        run.add(name, values, reference)


def _server_request(call: dict[str, Any], response: list[int], processor: Any) -> dict[str, Any]:
    """The vLLM prompt verl 0.9.1's vLLM server builds from an agent loop's ``generate`` call, response
    appended (``vllm_async_server.py``, ``generate``): placeholders collapsed (vLLM expands them again), images
    and videos as given, the call's ``mm_processor_kwargs`` when there are any."""
    from verl.workers.rollout.utils import qwen2_5_vl_dedup_image_tokens

    data = {}
    if call["image_data"] is not None:
        data["image"] = call["image_data"]
    if call["video_data"] is not None:
        data["video"] = call["video_data"]
    ids = qwen2_5_vl_dedup_image_tokens(list(call["prompt_ids"]) + response, processor)
    request: dict[str, Any] = {"prompt_token_ids": ids, "multi_modal_data": data}
    if call["mm_processor_kwargs"]:
        request["mm_processor_kwargs"] = call["mm_processor_kwargs"]
    return request
