"""Run by tests/lmms_eval_face/test_vllm_backend.py in a fresh interpreter: one vLLM engine for one tiny checkpoint.

Evaluates the three levels through lmms-eval's ``simple_evaluate`` with the project's model class
(``backend=vllm``), then sends every fixture sample through the same engine with one output token and compares
vLLM's prompt token ids with the HF processor's input ids. Writes a JSON summary; asserts nothing itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(model_dir: str, root: str, out: str) -> None:
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager
    from vllm import SamplingParams

    from lmms_eval_tasks import tasks_path
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

    start = time.perf_counter()
    lm = SeedBenchR1QwenVL(
        pretrained=model_dir,
        backend="vllm",
        max_model_len=4096,
        # On CPU vLLM reads this as the share of host memory to reserve for its KV cache: keep it small.
        gpu_memory_utilization=0.1,
        enforce_eager=True,
        skip_mm_profiling=True,
        batch_size=8,
    )
    load_s = time.perf_counter() - start

    start = time.perf_counter()
    result = simple_evaluate(
        model=lm,
        tasks=["seedbench_r1"],
        task_manager=TaskManager(include_path=str(tasks_path())),
        gen_kwargs="max_new_tokens=24",
        log_samples=True,
    )
    eval_s = time.perf_counter() - start
    samples = {
        task: [{"resps": s["resps"], "doc_id": s["doc_id"]} for s in rows]
        for task, rows in result["samples"].items()
    }

    ids = []
    for split in ("validation_L1", "validation_L2", "validation_L3"):
        for sample in load_split(root, split):
            prompt = prompt_from_sample(sample, root)
            (request,) = lm.vllm_requests([prompt])
            (output,) = lm.model.generate(
                [request], SamplingParams(max_tokens=1, temperature=0), use_tqdm=False
            )
            hf = processor_inputs(lm.processor, [prompt])["input_ids"][0].tolist()
            ids.append(
                {
                    "key": f"{split}:{sample.sample_id}",
                    "video": prompt.clip is not None,
                    "vllm": list(output.prompt_token_ids),
                    "hf": hf,
                }
            )
    parity = backend_parity(lm, model_dir, root)
    summary = {
        "parity": parity,
        "load_s": load_s,
        "eval_s": eval_s,
        "results": {
            t: {k: v for k, v in r.items() if isinstance(v, (int, float, str))}
            for t, r in result["results"].items()
        },
        "n_samples": {t: v["effective"] for t, v in result["n-samples"].items()},
        "samples": samples,
        "prompt_ids": ids,
    }
    Path(out).write_text(json.dumps(summary))


def backend_parity(lm, model_dir: str, root: str) -> list[dict]:  # noqa: ANN001
    """Per fixture prompt: 32 greedy tokens from vLLM and from the HF path, and the HF path's teacher-forced
    log-probs of vLLM's tokens against vLLM's own; also vLLM's log-probs when the clip's metadata rides in the
    (frames, metadata) tuple, which vLLM 0.24 drops for Qwen2/2.5-VL (the planted regression)."""
    import torch
    from vllm import SamplingParams

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

    hf = SeedBenchR1QwenVL(pretrained=model_dir, backend="hf")
    greedy = SamplingParams(max_tokens=32, temperature=0, logprobs=0)
    rows = []
    for split in ("validation_L1", "validation_L2", "validation_L3"):
        for sample in load_split(root, split):
            prompt = prompt_from_sample(sample, root)
            (request,) = lm.vllm_requests([prompt])
            (out,) = lm.model.generate([request], greedy, use_tqdm=False)
            tokens = list(out.outputs[0].token_ids)
            vllm_lp = [step[tok].logprob for step, tok in zip(out.outputs[0].logprobs, tokens, strict=True)]
            planted_lp = None
            if prompt.clip is not None:
                old = {
                    "prompt": request["prompt"],
                    "multi_modal_data": {
                        "image": prompt.image,
                        "video": [(prompt.clip.as_numpy(), prompt.video_metadata())],
                    },
                }
                planted_lp = _vllm_logprobs_of(lm, old, tokens)
            inputs = processor_inputs(hf.processor, [prompt])
            with torch.inference_mode():
                gen = hf.model.generate(
                    **inputs, generation_config=hf.generation_config({"max_new_tokens": 32})
                )
            hf_tokens = gen[0, inputs["input_ids"].shape[1] :].tolist()
            hf_lp = _hf_logprobs_of(hf.model, inputs, tokens)
            rows.append(
                {
                    "key": f"{split}:{sample.sample_id}",
                    "video": prompt.clip is not None,
                    "greedy_equal": hf_tokens == tokens,
                    "max_dlogprob": max(abs(a - b) for a, b in zip(vllm_lp, hf_lp, strict=True)),
                    "planted_max_dlogprob": None
                    if planted_lp is None
                    else max(abs(a - b) for a, b in zip(planted_lp, hf_lp, strict=False)),
                }
            )
    return rows


def _hf_logprobs_of(model, inputs, tokens: list[int]) -> list[float]:  # noqa: ANN001
    import torch

    from seedbench_r1.parity.logprobs import token_logprobs

    n = inputs["input_ids"].shape[1]
    extra = torch.tensor([tokens])
    kw = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    if "mm_token_type_ids" in kw:
        kw["mm_token_type_ids"] = torch.cat([kw["mm_token_type_ids"], torch.zeros_like(extra)], 1)
    ids = torch.cat([inputs["input_ids"], extra], 1)
    with torch.inference_mode():
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **kw).logits
    return token_logprobs(logits, ids, n).tolist()


def _vllm_logprobs_of(lm, request: dict, tokens: list[int]) -> list[float]:  # noqa: ANN001
    """vLLM's log-probs of ``tokens`` after ``request``'s prompt: generate greedily with the top 20 log-probs
    per step and read each wanted token's entry, up to the first step where the greedy choice differs (later
    steps would condition on other text); a token outside the top 20 counts as -inf."""
    from vllm import SamplingParams

    (out,) = lm.model.generate(
        [request], SamplingParams(max_tokens=len(tokens), temperature=0, logprobs=20), use_tqdm=False
    )
    values = []
    for step, (chosen, tok) in enumerate(zip(out.outputs[0].token_ids, tokens, strict=False)):
        entry = out.outputs[0].logprobs[step].get(tok)
        values.append(entry.logprob if entry is not None else float("-inf"))
        if chosen != tok:  # the sequences diverged: later steps condition on different text
            break
    return values


if __name__ == "__main__":  # vLLM may spawn; the guard keeps a child from re-running main
    main(*sys.argv[1:4])
