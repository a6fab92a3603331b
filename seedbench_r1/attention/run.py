"""``seedbench-r1 attention``: per model and sample, the response's attention to the video, the image and the
text, written as ``<out>/<model>/<sample_id>.json`` and ``.png``; resumable; optionally summarised.

Order per sample: the protocol's inputs (:func:`seedbench_r1.protocol.qwen_inputs.processor_inputs` through the lmms-eval
model class), the response (generated greedily with the task's settings, or logged by an lmms-eval run and
re-tokenized), one teacher-forced forward pass with eager attention in the language model
(:mod:`.capture`), the token kinds (:mod:`.tokens`), the spans (:mod:`.spans`), the shares and maps
(:mod:`.shares`), the PNG, then the JSON (written last: it marks the sample done).
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.attention.layers import parse_layers, resolve_layers
from seedbench_r1.attention.record import check_record
from seedbench_r1.protocol.annotations import SPLITS, validation_samples
from seedbench_r1.protocol.checkpoint import checkpoint_problem
from seedbench_r1.protocol.errors import SeedBenchError, UsageError
from seedbench_r1.protocol.root import resolve_root
from seedbench_r1.protocol.schema import Sample


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class AttentionConfig:
    models: list[str]  # [LABEL=]DIR, in order
    split: str
    out: Path
    samples: list[str] | None = None  # sample ids; None: the split (or a seeded subset of --limit)
    response_from: list[str] = field(default_factory=list)  # none, one for every model, or one per model
    layers: str = "all"
    root: str | None = None
    limit: int | None = None
    seed: int = 0
    summary: bool = False
    n_boot: int = 2000
    overwrite: bool = False
    device: str | None = None
    dtype: str | None = None
    max_new_tokens: int | None = None
    progress: Callable[[str], None] = _stderr


@dataclass
class AttentionResult:
    records: dict[str, list[dict[str, Any]]]  # model label -> records, in sample order
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    summary: Any = None  # summary.SummaryFiles with --summary


@dataclass(frozen=True)
class ModelSpec:
    label: str
    path: Path
    n_layers: int
    layers: list[int]


def _model_specs(args: list[str], layer_spec: tuple[int, ...] | None) -> list[ModelSpec]:
    """``[LABEL=]DIR`` per model (the label names the output folder; default: the folder's name)."""
    from transformers import AutoConfig

    specs: list[ModelSpec] = []
    for arg in args:
        label, path = None, Path(arg)
        if "=" in arg and not path.exists():
            label, _, rest = arg.partition("=")
            path = Path(rest)
        label = label or path.name
        if not label or label in (".", "..") or "/" in label or "\\" in label:
            raise UsageError(f"--model {arg!r}: {label!r} cannot name an output folder; use LABEL=DIR")
        if not path.is_dir():
            raise UsageError(f"--model {arg!r}: {path} is not a checkpoint folder")
        if problem := checkpoint_problem(path):
            raise UsageError(f"--model {arg!r}: {problem}")
        config = AutoConfig.from_pretrained(path)
        n_layers = int(config.text_config.num_hidden_layers)
        specs.append(ModelSpec(label, path, n_layers, resolve_layers(layer_spec, n_layers, str(path))))
    labels = [s.label for s in specs]
    repeated = sorted({x for x in labels if labels.count(x) > 1})
    if repeated:
        raise UsageError(f"--model: two models would write to {repeated[0]!r}; name them with LABEL=DIR")
    return specs


def choose_samples(all_samples: list[Sample], cfg: AttentionConfig) -> list[Sample]:
    """--samples (each must exist), else the split or ``--limit N`` ids drawn with ``random.Random(seed)``."""
    by_id = {str(s.sample_id): s for s in all_samples}
    if cfg.samples:
        unknown = [i for i in cfg.samples if i not in by_id]
        if unknown:
            shown = ", ".join(list(by_id)[:5]) + (", ..." if len(by_id) > 5 else "")
            raise UsageError(f"--samples: no sample {unknown[0]!r} in {cfg.split} (its ids: {shown})")
        return [by_id[i] for i in dict.fromkeys(cfg.samples)]
    if cfg.limit is None or cfg.limit >= len(all_samples):
        return list(all_samples)
    picked = set(random.Random(cfg.seed).sample(sorted(by_id), cfg.limit))
    return [s for s in all_samples if str(s.sample_id) in picked]  # split order, same ids for every model


def _check_config(cfg: AttentionConfig) -> None:
    info = SPLITS.get(cfg.split)
    if info is None or info.kind != "validation":
        raise UsageError(f"--split {cfg.split!r}: choose one of validation_L1, validation_L2, validation_L3")
    if not cfg.samples and not cfg.summary and cfg.limit is None:
        raise UsageError(
            "name the samples (--samples ID[,ID...]), or pass --summary / --limit N for the split"
        )
    if cfg.limit is not None and cfg.limit < 1:
        raise UsageError(f"--limit {cfg.limit}: must be at least 1")
    if len(cfg.response_from) not in (0, 1, len(cfg.models)):
        raise UsageError(
            f"--response-from given {len(cfg.response_from)} times for {len(cfg.models)} models: give it once "
            "(every model) or once per --model, in the same order"
        )
    if cfg.max_new_tokens is not None and cfg.max_new_tokens < 1:
        raise UsageError(f"--max-new-tokens {cfg.max_new_tokens}: must be at least 1")
    # An option that a mode would ignore is refused: the user meant something the command would not do.
    if cfg.samples and cfg.limit is not None:
        raise UsageError("--limit draws samples when --samples names none: give one of them")
    if cfg.response_from and cfg.max_new_tokens is not None:
        raise UsageError("--max-new-tokens caps a generated response; with --response-from none is generated")


def run_attention(cfg: AttentionConfig) -> AttentionResult:
    """Every model x sample of ``cfg``; see the module docstring."""
    from seedbench_r1.attention.logged import read_logged
    from seedbench_r1.attention.response import task_gen_kwargs

    _check_config(cfg)
    specs = _model_specs(cfg.models, parse_layers(cfg.layers))
    root = resolve_root(cfg.root)
    samples = choose_samples(validation_samples(root, cfg.split), cfg)
    runs = cfg.response_from * len(specs) if len(cfg.response_from) == 1 else list(cfg.response_from)
    logged = {}
    for spec, run in zip(specs, runs, strict=False):
        responses = read_logged(run, cfg.split)
        missing = [str(s.sample_id) for s in samples if str(s.sample_id) not in responses.texts]
        if missing:
            raise UsageError(f"{responses.path}: no logged response for sample {missing[0]!r} of {cfg.split}")
        logged[spec.label] = responses
    gen_kwargs = None if logged else task_gen_kwargs(cfg.max_new_tokens)

    workers = [_ModelWorker(spec, cfg, root, logged.get(spec.label), gen_kwargs) for spec in specs]
    # every existing record is checked before any model work: a conflict stops the run at once
    existing: dict[Path, dict[str, Any]] = {}
    for worker in workers if not cfg.overwrite else []:
        for sample in samples:
            path = worker.json_path(sample)
            if path.exists():
                existing[path] = check_record(path, sample.sample_id, worker.request)

    result = AttentionResult(records={})
    for m, worker in enumerate(workers, start=1):
        label = worker.spec.label
        records = result.records.setdefault(label, [])
        for n, sample in enumerate(samples, start=1):
            where = f"[{label} {m}/{len(workers)}] sample {sample.sample_id} ({n}/{len(samples)})"
            json_path = worker.json_path(sample)
            png_path = json_path.with_suffix(".png")
            if json_path in existing:
                record = existing[json_path]
                if not png_path.exists():
                    worker.redraw(record, sample, png_path)
                    cfg.progress(f"{where}: {json_path} exists; redrew its missing PNG")
                else:
                    cfg.progress(f"{where}: skipped, {json_path} exists (--overwrite redoes it)")
                result.skipped.append(json_path)
                records.append(record)
                continue
            start = time.perf_counter()
            record = worker.analyse(sample, json_path, png_path)
            records.append(record)
            result.written.append(json_path)
            s = record["spans"]["all"]
            visual = (
                "empty response"
                if s is None
                else f"video {sum(s['frame_groups']):.1%}, image {s['image']:.1%}"
            )
            n_response = record["n_tokens"]["response"]
            cfg.progress(
                f"{where}: {n_response} response tokens, {visual} ({time.perf_counter() - start:.1f} s)"
            )
        worker.close()

    if cfg.summary:
        from seedbench_r1.attention.summary import summarize_runs

        result.summary = summarize_runs(result.records, Path(cfg.out), seed=cfg.seed, n_boot=cfg.n_boot)
    return result


class _ModelWorker:
    """One model's samples; the model is loaded on the first sample that needs it."""

    def __init__(
        self,
        spec: ModelSpec,
        cfg: AttentionConfig,
        root: Path,
        logged: Any,
        gen_kwargs: dict[str, Any] | None,
    ) -> None:
        self.spec, self.cfg, self.root, self.logged = spec, cfg, root, logged
        self.request = {
            "split": cfg.split,
            "model": spec.label,
            "layers": spec.layers,
            "response_source": "logged" if logged is not None else "generated",
            "response_from": str(logged.path) if logged is not None else None,
            "gen_kwargs": gen_kwargs,
        }
        self.lm: Any = None

    def json_path(self, sample: Sample) -> Path:
        name = str(sample.sample_id)
        if not name or name.startswith(".") or "/" in name or "\\" in name:
            raise UsageError(f"sample {sample.key}: its id cannot name an output file")
        return Path(self.cfg.out) / self.spec.label / f"{name}.json"

    def _model(self) -> Any:
        if self.lm is None:
            from seedbench_r1.attention.response import load_model

            self.cfg.progress(f"[{self.spec.label}] loading {self.spec.path}")
            self.lm = load_model(str(self.spec.path), self.cfg.device, self.cfg.dtype)
        return self.lm

    def close(self) -> None:
        """Free the model before the next one loads (two 7B models need not fit at once)."""
        if self.lm is None:
            return
        import gc

        import torch

        self.lm = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def redraw(self, record: dict[str, Any], sample: Sample, png_path: Path) -> None:
        from seedbench_r1.attention.plot import draw
        from seedbench_r1.protocol.qwen_inputs import prompt_from_sample

        draw(record, prompt_from_sample(sample, self.root), png_path)

    def _response(self, sample: Sample, inputs: Any) -> tuple[list[int], str, bool | None]:
        """``(token ids, text, retokenized_exact)``: logged and re-tokenized, or generated (exact: None)."""
        from seedbench_r1.attention.response import decode, encode_logged, generate_ids

        lm = self._model()
        tokenizer = lm.processor.tokenizer
        exact: bool | None = None
        context = int(getattr(lm.model.config.get_text_config(), "max_position_embeddings", 0) or 0)
        if self.logged is not None:
            text = self.logged.texts[str(sample.sample_id)]
            # Bounded before tokenizing: a token holds at most a few dozen characters of such text.
            if context and len(text) > 64 * context:
                raise UsageError(
                    f"{self.logged.path}: sample {sample.sample_id}: the logged response has {len(text):,} "
                    f"characters, far beyond the model's context of {context:,} tokens"
                )
            ids, exact = encode_logged(tokenizer, text)
            if context and inputs["input_ids"].shape[1] + len(ids) > context:
                raise UsageError(
                    f"{self.logged.path}: sample {sample.sample_id}: prompt and logged response are "
                    f"{inputs['input_ids'].shape[1] + len(ids):,} tokens, over the model's context of {context:,}"
                )
            if not exact:
                self.cfg.progress(
                    f"note: sample {sample.sample_id}: the logged response does not survive re-tokenization "
                    "(decode(encode(text)) != text); the attention is that of the re-tokenized text"
                )
        else:
            ids = generate_ids(lm, inputs, self.request["gen_kwargs"])
            text = decode(tokenizer, ids)
        config = lm.model.config
        if {int(config.image_token_id), int(config.video_token_id)} & set(ids):
            raise SeedBenchError(
                f"sample {sample.key}: the response holds an image/video placeholder token, which the model "
                "would read as a media slot; it cannot be teacher-forced"
            )
        return ids, text, exact

    def analyse(self, sample: Sample, json_path: Path, png_path: Path) -> dict[str, Any]:
        """Inputs, response, attention pass, record; the PNG, then the JSON (the done mark)."""
        from lmms_eval_tasks.seedbench_r1_levels.utils import PARSER_MODE
        from seedbench_r1.attention.capture import response_attention
        from seedbench_r1.attention.plot import draw
        from seedbench_r1.attention.record import build_record
        from seedbench_r1.attention.spans import response_spans
        from seedbench_r1.attention.tokens import SpecialIds, build_layout
        from seedbench_r1.files import write_text
        from seedbench_r1.protocol.answer import score_response
        from seedbench_r1.protocol.qwen_inputs import prompt_from_sample

        lm = self._model()
        tokenizer = lm.processor.tokenizer
        config = lm.model.config
        prompt = prompt_from_sample(sample, self.root)
        inputs = lm.batch_inputs([prompt])
        ids, text, exact = self._response(sample, inputs)
        rows = response_attention(lm.model, inputs, ids, self.spec.layers)
        prompt_ids = inputs["input_ids"][0].tolist()
        video_grid = inputs.get("video_grid_thw")
        image_grid = inputs.get("image_grid_thw")
        layout = build_layout(
            prompt_ids + ids,
            len(prompt_ids),
            SpecialIds.from_model(config, tokenizer),
            video_grid=video_grid[0].tolist() if video_grid is not None else None,
            image_grid=image_grid[0].tolist() if image_grid is not None else None,
            merge_size=int(config.vision_config.spatial_merge_size),
        )
        extra = {
            "grids": {
                "video_grid_thw": video_grid[0].tolist() if video_grid is not None else None,
                "image_grid_thw": image_grid[0].tolist() if image_grid is not None else None,
                "frame_group_map": list(layout.group_grid) if layout.group_grid else None,
                "image_map": list(layout.image_grid) if layout.image_grid else None,
            },
            "frames": None
            if prompt.clip is None
            else {"count": len(prompt.clip.indices), "indices": list(prompt.clip.indices)},
            "model_path": str(self.spec.path),
            "parser_mode": PARSER_MODE,
            "settings": {
                "device": lm.device,
                "dtype": str(lm.dtype).replace("torch.", ""),
                "attention": "eager",
            },
        }
        record = build_record(
            rows=rows,
            layout=layout,
            spans=response_spans(tokenizer, ids),
            request=self.request,
            sample_id=sample.sample_id,
            response=text,
            response_ids=ids,
            retokenized_exact=exact,
            scored=dict(score_response(text, sample.gold, sample.choices, mode=PARSER_MODE)),
            gold=sample.gold,
            extra=extra,
        )
        draw(record, prompt, png_path)
        write_text(json_path, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        return record
