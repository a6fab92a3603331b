"""Run by tests/test_lmms_eval_vllm.py in a fresh interpreter: one vLLM engine for one tiny checkpoint.

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

    from lmms_eval_tasks import utils as task_utils
    from lmms_eval_tasks.model import SeedBenchR1QwenVL
    from seedbench_r1.annotations import load_split
    from seedbench_r1.qwen_inputs import processor_inputs, prompt_from_sample

    start = time.perf_counter()
    lm = SeedBenchR1QwenVL(
        pretrained=model_dir,
        backend="vllm",
        max_model_len=4096,
        enforce_eager=True,
        skip_mm_profiling=True,
        batch_size=8,
    )
    load_s = time.perf_counter() - start

    start = time.perf_counter()
    result = simple_evaluate(
        model=lm,
        tasks=["seedbench_r1"],
        task_manager=TaskManager(include_path=str(Path(task_utils.__file__).parent)),
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
    summary = {
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


if __name__ == "__main__":  # vLLM may spawn; the guard keeps a child from re-running main
    main(*sys.argv[1:4])
