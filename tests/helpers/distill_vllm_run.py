"""Run by tests/distill/test_distill.py in a fresh interpreter: ``distill-cot`` with the vLLM backend on the fixture.

One engine for the whole process (the teacher factory caches it): a clean run, then the same run interrupted
after one batch and resumed. Records what every ``LLM.generate`` call was sent (requests, n, seeds) and every
row's completions, and writes a JSON summary; asserts nothing itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

K = 4
BATCH = 5


def main(model_dir: str, root: str, workdir: str, summary_path: str) -> None:
    from seedbench_r1.distill import DistillConfig, distill
    from seedbench_r1.distill.teachers import load_teacher

    model_args = {
        "max_model_len": 4096,
        "gpu_memory_utilization": 0.1,  # on CPU: the share of host memory for the KV cache
        "enforce_eager": True,
        "skip_mm_profiling": True,
        "tensor_parallel_size": 1,
    }

    def config(out: Path) -> DistillConfig:
        return DistillConfig(
            teachers=[model_dir],
            split="training_6k",
            out=out,
            root=root,
            samples=K,
            backend="vllm",
            batch_size=BATCH,
            max_new_tokens=48,
            model_args=model_args,
            progress=False,
        )

    calls: list[dict] = []
    rows: dict[str, dict[str, list[str]]] = {"clean": {}, "resumed": {}}
    phase = {"name": "clean"}
    cache: dict = {}
    timing: dict[str, float] = {}

    def factory(name: str):
        if name in cache:
            return cache[name]
        start = time.perf_counter()
        teacher = load_teacher(name, "vllm", config(Path(workdir)).gen_kwargs(), model_args)
        timing["load_s"] = time.perf_counter() - start
        llm = teacher.lm.model
        real_llm_generate = llm.generate

        def llm_generate(requests, params, **kw):
            calls.append(
                {"requests": len(requests), "n": [p.n for p in params], "seeds": [p.seed for p in params]}
            )
            return real_llm_generate(requests, params, **kw)

        llm.generate = llm_generate
        real_generate = teacher.generate

        def generate(prompts, seeds, k):
            out = real_generate(prompts, seeds, k)
            for p, c in zip(prompts, out, strict=True):
                rows[phase["name"]][p.name] = [x.text for x in c]
            return out

        teacher.generate = generate
        teacher.close = lambda: None  # keep the engine for the next run of this process
        cache[name] = teacher
        return teacher

    clean_out = Path(workdir) / "clean.jsonl"
    start = time.perf_counter()
    clean = distill(config(clean_out), teacher_factory=factory)
    timing["clean_s"] = time.perf_counter() - start

    def stop(_teacher: int, committed: int) -> None:
        if committed >= 1:
            raise KeyboardInterrupt

    phase["name"] = "resumed"
    resumed_out = Path(workdir) / "resumed.jsonl"
    try:
        distill(config(resumed_out), teacher_factory=factory, on_batch=stop)
    except KeyboardInterrupt:
        pass
    resumed = distill(config(resumed_out), teacher_factory=factory)
    summary = {
        "timing": timing,
        "calls": calls,
        "rows": rows,
        "clean": {"out": str(clean_out), "stats": clean.stats.to_json()},
        "resumed": {
            "out": str(resumed_out),
            "stats": resumed.stats.to_json(),
            "resumed_rows": resumed.resumed_rows,
        },
    }
    Path(summary_path).write_text(json.dumps(summary))


if __name__ == "__main__":
    main(*sys.argv[1:5])
