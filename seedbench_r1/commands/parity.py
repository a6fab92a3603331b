"""``seedbench-r1 parity``: the rotary positions every path of a run gives the protocol's inputs."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "parity",
        help="rotary positions per path (evaluation, verl GRPO agent loop, verl SFT) against each model's own",
        description="For every validation prompt and CoT row of --root, compute the M-RoPE positions through "
        "the evaluation's transformers path, verl's GRPO agent-loop code and verl's SFT dataset, each with and "
        "without this project's fixes, and compare them with the model's own convention. Exits 1 when a path "
        "the project's recipes or model class use differs. (HF vs vLLM log-probs: make test-vllm.)",
    )
    p.add_argument("--model", required=True, help="a Qwen2-VL / Qwen2.5-VL checkpoint folder")
    p.add_argument("--root", default=None, help="dataset root (default: $SEEDBENCH_R1_ROOT)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=_parity)


def _parity(args: argparse.Namespace) -> int:
    from seedbench_r1.parity import position_report
    from seedbench_r1.root import resolve_root
    from verl_recipe.inputs import check_model_dir

    results = position_report(check_model_dir(args.model), resolve_root(args.root))
    if args.json:
        print(json.dumps([{**vars(r), "ok": r.ok} for r in results], indent=2))
    else:
        for r in results:
            status = "ok" if r.ok else "MISMATCH"
            clip = r.first_clip
            print(
                f"{status:<8} {r.path:<38} rows {r.rows:>3}  max |delta position| {r.max_delta:>3}  "
                f"first clip: temporal {clip.get('temporal')}, text after video +{clip.get('text_after_video')}"
            )
    return 0 if all(r.ok for r in results) else 1
