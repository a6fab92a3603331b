"""Verdicts of ``run_gpu_check.sh``: the first GPU run of the smoke recipe, read from verl's file logger, and
20 L1 questions through the lmms-eval model class with the HF and the vLLM backend.

One verdict per check, ``PASS`` / ``FAIL`` / ``INFO`` (a figure to read, not to judge); exit 1 when any check
fails. The bf16 bounds catch gross faults (a dropped clip, a wrong chat template, weights that did not reach the
rollout engine); the subtle ones (positions, metadata) are below bf16 noise and are what ``seedbench-r1 parity``
measures in float32 first.

    python -m verl_recipe.gpu_check verdict --log LOG.jsonl [--memory MEM.tsv] [--eval-hf DIR --eval-vllm DIR]
    python -m verl_recipe.gpu_check sample-memory MEM.tsv      # host / GPU memory every 2 s until killed
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from seedbench_r1.cli.knobs import whole
from seedbench_r1.protocol.annotations import VALIDATION_SPLITS
from seedbench_r1.protocol.names import DATA_SOURCES
from seedbench_r1.report.curves import read_jsonl

# |p_rollout - p_actor| per response token (probabilities, verl's debug metric) and the Pearson correlation of
# the two. Engineering bounds for bf16 vLLM against a bf16 FSDP actor: verl's rollout-mismatch reports put
# healthy runs around 1e-3 and a correlation above 0.99; a model whose rollout never saw the clip, or stale
# rollout weights, is far outside both. Float32 on CPU gives 3e-5 (tests/verl_face/test_train.py).
PROBS_DIFF_MEAN_MAX = 0.01
PEARSON_MIN = 0.98
# A prompt holding a full 16-frame clip at 252 x 252 has 8 x 81 video tokens and 81 image tokens: a run whose
# longest prompt is shorter never gave the model a whole clip.
FULL_CLIP_PROMPT_MIN = 8 * 81 + 81
LEVELS = tuple(DATA_SOURCES[s] for s in VALIDATION_SPLITS)  # verl groups validation by data_source
# HF and vLLM backends, both bf16 and greedy: answers may flip where two options are near-tied.
AGREEMENT_MIN = 0.8
ACC_DIFF_MAX = 0.1


@dataclass(frozen=True)
class Verdict:
    check: str
    status: str  # PASS, FAIL or INFO
    detail: str

    def __str__(self) -> str:
        return f"{self.status:4s}  {self.check}: {self.detail}"


def _values(series: dict, key: str) -> list[tuple[int, float]]:
    return series.get(key, [])


def rollout_verdict(series: dict) -> Verdict:
    name = "rollout vs actor log-probs"
    diff = _values(series, "training/rollout_probs_diff_mean")
    corr = dict(_values(series, "training/rollout_actor_probs_pearson_corr"))
    valid = dict(_values(series, "training/rollout_probs_diff_valid"))
    if not diff:
        return Verdict(
            name, "FAIL", "not logged: run with actor_rollout_ref.rollout.calculate_log_probs=true"
        )
    bad = [
        f"step {s}: diff {d:.2e}, corr {corr.get(s, math.nan):.4f}"
        for s, d in diff
        if valid.get(s, 1.0) != 1.0 or not d <= PROBS_DIFF_MEAN_MAX or not corr.get(s, -1.0) >= PEARSON_MIN
    ]
    worst = max(d for _, d in diff)
    detail = (
        f"{len(diff)} steps, worst diff_mean {worst:.2e} (bound {PROBS_DIFF_MEAN_MAX}), "
        f"lowest correlation {min(corr.values(), default=math.nan):.4f} (bound {PEARSON_MIN})"
    )
    return Verdict(name, "FAIL" if bad else "PASS", detail + ("; " + "; ".join(bad) if bad else ""))


def length_verdict(series: dict, max_prompt: int, max_response: int) -> Verdict:
    name = "sequence lengths"
    prompt_max = [v for _, v in _values(series, "prompt_length/max")]
    response_max = [v for _, v in _values(series, "response_length/max")]
    clipped = [v for _, v in _values(series, "prompt_length/clip_ratio")]
    if not prompt_max or not response_max:
        return Verdict(name, "FAIL", "prompt_length/max or response_length/max not logged")
    longest, answer = max(prompt_max), max(response_max)
    problems = []
    if longest > max_prompt or any(c > 0 for c in clipped):
        problems.append(f"a prompt reached data.max_prompt_length {max_prompt}")
    if longest < FULL_CLIP_PROMPT_MIN:
        problems.append(f"no prompt held a full clip (longest {longest:.0f} < {FULL_CLIP_PROMPT_MIN} tokens)")
    if answer > max_response:
        problems.append(f"a response of {answer:.0f} tokens exceeds data.max_response_length {max_response}")
    detail = (
        f"longest prompt {longest:.0f} (budget {max_prompt}), longest response {answer:.0f} ({max_response})"
    )
    return Verdict(
        name, "FAIL" if problems else "PASS", detail + ("; " + "; ".join(problems) if problems else "")
    )


def validation_verdict(series: dict) -> Verdict:
    name = "validation per level"
    keys = [f"val-core/{level}/acc/mean@1" for level in LEVELS]
    missing = [k for k in keys if not _values(series, k)]
    if missing:
        return Verdict(name, "FAIL", f"not logged: {', '.join(missing)}")
    last = ", ".join(f"{k.split('/')[1]} {_values(series, k)[-1][1]:.3f}" for k in keys)
    return Verdict(name, "PASS", f"greedy accuracy at the last validation: {last}")


def memory_verdict(series: dict, memory_log: Path | None) -> Verdict:
    """Peak host and GPU memory: the actor's own figures from the logger, and the sampler's whole-machine ones."""
    parts = []
    for key, label in (
        ("actor/perf/max_memory_reserved_gb", "actor GPU reserved"),
        ("actor/perf/cpu_memory_used_gb", "actor host"),
    ):
        values = [v for _, v in _values(series, key)]
        if values:
            parts.append(f"{label} {max(values):.1f} GB")
    if memory_log is not None:
        rows = read_memory_log(memory_log)
        if rows:
            parts.append(f"machine host {max(host for _, host, _ in rows):.1f} GB")
            gpu = [g for _, _, g in rows if g is not None]
            if gpu:
                parts.append(f"machine GPU {max(gpu):.1f} GB")
    return Verdict("peak memory", "INFO", ", ".join(parts) if parts else "no memory figures logged")


def read_memory_log(path: Path) -> list[tuple[float, float, float | None]]:
    """``sample-memory``'s lines as (time, host GB, GPU GB or None). The file the verdict was given must be one:
    a missing, unreadable or garbled file is an error naming the file and the line, never ignored."""
    from seedbench_r1.files import read_bytes
    from seedbench_r1.protocol.errors import UsageError

    try:
        text = read_bytes(path, "memory log").decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a memory log (not UTF-8 text)") from None
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        try:
            if len(fields) != 3:
                raise ValueError
            t, host = float(fields[0]), float(fields[1])
            gpu = float(fields[2]) if fields[2] else None
            if not all(math.isfinite(v) and v >= 0 for v in (t, host, gpu or 0.0)):
                raise ValueError
        except ValueError:
            raise UsageError(
                f"{path}:{n}: not a memory sample (time<TAB>host GB<TAB>GPU GB): {line[:80]!r}"
            ) from None
        rows.append((t, host, gpu))
    return rows


def log_verdict(problems: list[str]) -> Verdict:
    """Every line of the log read and every metric finite: a NaN or Inf (a diverged step) fails the check,
    naming the metric and the step, instead of being dropped from the others' figures."""
    name = "metrics log"
    if problems:
        return Verdict(name, "FAIL", "; ".join(problems))
    return Verdict(name, "PASS", "every line read, every metric finite")


def eval_verdict(hf_dir: Path, vllm_dir: Path) -> Verdict:
    from seedbench_r1.report.results import load_runs

    name = "HF vs vLLM backend (L1)"
    runs, errors = load_runs([f"hf={hf_dir}", f"vllm={vllm_dir}"])
    if errors or len(runs) != 2:
        return Verdict(name, "FAIL", "; ".join(errors) or f"expected two runs, found {len(runs)}")
    hf, vllm = (run.outcomes_by_key() for run in runs)
    shared = sorted(set(hf) & set(vllm))
    if not shared:
        return Verdict(name, "FAIL", "no logged sample in both runs (run lmms-eval with --log_samples)")
    agree = sum(hf[k].pred == vllm[k].pred for k in shared) / len(shared)
    acc_hf = sum(hf[k].correct for k in shared) / len(shared)
    acc_vllm = sum(vllm[k].correct for k in shared) / len(shared)
    ok = agree >= AGREEMENT_MIN and abs(acc_hf - acc_vllm) <= ACC_DIFF_MAX
    detail = (
        f"{len(shared)} questions: same answer on {agree:.0%} (bound {AGREEMENT_MIN:.0%}), accuracy HF "
        f"{acc_hf:.3f} vs vLLM {acc_vllm:.3f} (bound {ACC_DIFF_MAX})"
    )
    return Verdict(name, "PASS" if ok else "FAIL", detail)


def verdicts(
    log: Path,
    *,
    max_prompt: int = 2048,
    max_response: int = 256,
    memory_log: Path | None = None,
    eval_dirs: tuple[Path, Path] | None = None,
) -> list[Verdict]:
    metrics = read_jsonl(log)
    series = metrics.series
    out = [
        rollout_verdict(series),
        length_verdict(series, max_prompt, max_response),
        validation_verdict(series),
        memory_verdict(series, memory_log),
    ]
    if eval_dirs is not None:
        out.append(eval_verdict(*eval_dirs))
    out.append(log_verdict(metrics.problems))
    return out


def sample_memory(out: Path, interval: float = 2.0) -> None:
    """Append ``time<TAB>host used GB<TAB>GPU used GB (all GPUs)`` every ``interval`` s until killed."""
    import psutil

    with open(out, "a", buffering=1) as fh:
        while True:
            host = psutil.virtual_memory().used / 2**30
            try:
                smi = subprocess.run(
                    ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                ).stdout
                gpu = f"{sum(float(x) for x in smi.split()) / 1024:.2f}"
            except (OSError, ValueError, subprocess.TimeoutExpired):
                gpu = ""
            fh.write(f"{time.time():.0f}\t{host:.2f}\t{gpu}\n")
            time.sleep(interval)


def smoke_limits(overrides: list[str]) -> tuple[int, int, str]:
    """(max prompt, max response, model path) of the smoke recipe under the user's hydra overrides, composed
    as verl's main_ppo composes them, so the verdict judges the run that was launched."""
    from hydra import compose, initialize_config_dir

    from verl_recipe import recipe_dir

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        cfg = compose(config_name="seedbench_r1_grpo_smoke", overrides=overrides)
    return (
        int(cfg.data.max_prompt_length),
        int(cfg.data.max_response_length),
        str(cfg.actor_rollout_ref.model.path),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m verl_recipe.gpu_check", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verdict", help="one verdict per check; exit 1 if any fails")
    v.add_argument("--log", type=Path, required=True, help="verl's file-logger JSONL of the smoke run")
    v.add_argument("--memory", type=Path, default=None, help="the sample-memory file of the run")
    v.add_argument("--eval-hf", type=Path, default=None, help="lmms-eval output folder, backend=hf")
    v.add_argument("--eval-vllm", type=Path, default=None, help="lmms-eval output folder, backend=vllm")
    v.add_argument("--max-prompt-length", type=whole(1), default=2048)
    v.add_argument("--max-response-length", type=whole(1), default=256)
    m = sub.add_parser("sample-memory", help="log host and GPU memory every 2 s until killed")
    m.add_argument("out", type=Path)
    lim = sub.add_parser("limits", help="print the smoke run's max prompt, max response and model path")
    lim.add_argument("overrides", nargs="*", help="the hydra overrides the smoke run gets")
    args = parser.parse_args(argv)
    if args.command == "limits":
        print(*smoke_limits(args.overrides))
        return 0
    if args.command == "sample-memory":
        sample_memory(args.out)
        return 0
    if (args.eval_hf is None) != (args.eval_vllm is None):
        parser.error("--eval-hf and --eval-vllm go together")
    if not args.log.is_file():
        print(f"gpu_check: error: {args.log}: no such file (the smoke run's file logger)", file=sys.stderr)
        return 1
    from seedbench_r1.protocol.errors import SeedBenchError

    try:
        results = verdicts(
            args.log,
            max_prompt=args.max_prompt_length,
            max_response=args.max_response_length,
            memory_log=args.memory,
            eval_dirs=(args.eval_hf, args.eval_vllm) if args.eval_hf is not None else None,
        )
    except SeedBenchError as exc:
        print(f"gpu_check: error: {exc}", file=sys.stderr)
        return 1
    for result in results:
        print(result)
    failed = [r.check for r in results if r.status == "FAIL"]
    print(f"{'FAILED: ' + ', '.join(failed) if failed else 'all checks passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
