"""``make demo``: the project's main job on the miniature benchmark and a tiny random Qwen2-VL (CPU, offline).

Every step is the real user command (printed before it runs), so the demo doubles as a walk-through:
fixture -> verify -> frame cache -> lmms-eval evaluation -> verl parquet + reward path ->
the consistency rate -> one attention map (the paper's Section 5) -> Tables 2 and 3 with completion length
against accuracy, and the sample browser (a static site of every sample, side by side).
LongVideoBench (the paper's transfer benchmark, Table 3) runs beside SEED-Bench-R1 on its own miniature set.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    shown = " ".join(shlex.quote(c) for c in cmd)
    shown = shown.replace(f"{shlex.quote(sys.executable)} -m seedbench_r1", "seedbench-r1")
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    print(f"\n$ {prefix + ' ' if prefix else ''}{shown}", flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})})
    print(f"  ({time.perf_counter() - start:.1f} s)", flush=True)


def _step(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}", flush=True)


def _print_length_section(report_md: Path) -> None:
    """The report's completion-length section on the terminal (the rest of the report is in the file)."""
    text = report_md.read_text(encoding="utf-8")
    start = text.find("## Completion length and accuracy")
    if start < 0:
        raise SystemExit(f"{report_md}: no completion-length section (were the samples logged?)")
    end = text.find("\n## ", start + 1)
    print(text[start : end if end >= 0 else len(text)].rstrip())


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "seedbench_r1", *args]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="demo_out", help="folder for everything the demo writes")
    args = parser.parse_args(argv)
    out = Path(args.out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    data, lvb, model = out / "data", out / "longvideobench", out / "tiny-qwen2-vl"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    evals, verl, report, attention = out / "eval", out / "verl", out / "report", out / "attention"
    consistency = out / "consistency"
    root_env = {"SEEDBENCH_R1_ROOT": str(data), "LONGVIDEOBENCH_ROOT": str(lvb)}

    _step("1. a miniature SEED-Bench-R1 (real layout, real H.264 clips and PNGs) and a tiny random Qwen2-VL")
    # --force: a rerun replaces the fixture of the previous run (make-fixture refuses any other folder).
    _run(_cli("make-fixture", "--root", str(data), "--force"))
    _run(_cli("make-fixture", "--dataset", "longvideobench", "--root", str(lvb), "--force"))
    _run(_cli("make-tiny-model", "--out", str(model)))

    _step("2. verify it (schema, media, decodable clips; the miniature set is not the release's size)")
    _run(_cli("verify", "--root", str(data), "--decode", "--no-expect-sizes"))
    _run(_cli("verify", "--dataset", "longvideobench", "--no-expect-sizes"), env=root_env)
    _run(
        _cli(
            "extract-frames",
            "--root",
            str(data),
            "--splits",
            "training_6k",
            "validation_L1",
            "validation_L2",
            "validation_L3",
            "--workers",
            "2",
        )
    )
    _run(_cli("extract-frames", "--dataset", "longvideobench", "--root", str(lvb), "--workers", "2"))

    _step(
        "3. evaluation through lmms-eval: the project's model class (core frames + image + text), SEED-Bench-R1 "
        "and LongVideoBench"
    )
    print("The model is RANDOMLY INITIALISED: expect no answers and 0 accuracy. This checks the plumbing.")
    _run(
        _cli(
            "eval",
            "--model",
            "seedbench_r1_qwen_vl",
            "--model_args",
            f"pretrained={model},device=cpu,batch_size=8",
            "--tasks",
            "seedbench_r1,longvideobench_r1",
            "--gen_kwargs",
            "max_new_tokens=48",
            "--log_samples",
            "--output_path",
            str(evals / "tiny_random_qwen2_vl"),
        ),
        env=root_env,
    )
    print("A second run with lmms-eval's dummy model answering B everywhere, for a paired comparison:")
    _run(
        _cli(
            "eval",
            "--model",
            "dummy",
            "--model_args",
            "response=<think>guess</think><answer>B</answer>",
            "--tasks",
            "seedbench_r1,longvideobench_r1",
            "--log_samples",
            "--output_path",
            str(evals / "dummy_always_B"),
        ),
        env=root_env,
    )

    _step(
        "4. training data for verl: RL parquet (frame-cache rows) and SFT parquet, then one GRPO step's data path"
    )
    for split in ("training_6k", "validation_L1", "validation_L2", "validation_L3"):
        _run(
            _cli(
                "prepare-verl",
                "--root",
                str(data),
                "--split",
                split,
                "--out",
                str(verl / f"{split}.parquet"),
                "--frame-cache",
                str(data / "frames"),
                "--no-progress",
                "--overwrite",  # the demo owns its folder: a rerun replaces its files
            )
        )
    _run(
        _cli(
            "prepare-verl",
            "--root",
            str(data),
            "--split",
            "training_with_cot_6k",
            "--out",
            str(verl / "sft_cot.parquet"),
            "--no-progress",
            "--overwrite",
        )
    )
    _run(_cli("verl-reward-check", *(str(verl / f"validation_L{k}.parquet") for k in (1, 2, 3))))
    _run(
        _cli(
            "verl-cpu-step",
            str(verl / "training_6k.parquet"),
            "--model",
            str(model),
            "--prompts",
            "3",
            "-n",
            "4",
        )
    )

    _step("5. the consistency rate (does the <think> support the answer?)")
    print(
        "The judge is the tiny RANDOM model: its replies are noise, almost never a bare yes or no, so the rate "
        "means nothing here (a random judge's rate measures the judge, not the run). This checks the plumbing: "
        "prompt, strict parse, counts, resumable file, report columns."
    )
    _run(
        _cli(
            "consistency",
            f"dummy-B={evals / 'dummy_always_B'}",
            "--judge",
            str(model),
            "--model-args",
            "device=cpu",
            "--out",
            str(consistency),
            "--no-progress",
        )
    )
    _step(
        "6. Section 5: attention from the response to the 16 frames and the image (L1 sample 100, 16-frame clip)"
    )
    print(
        "Random weights: the picture shows the plumbing (token kinds, 9 x 9 maps per frame group), not a finding."
    )
    _run(
        _cli(
            "attention",
            "--model",
            f"tiny-random={model}",
            "--split",
            "validation_L1",
            "--samples",
            "100",
            "--max-new-tokens",
            "48",
            "--device",
            "cpu",
            "--overwrite",
            "--out",
            str(attention),
        ),
        env=root_env,
    )

    _step("7. the report: Tables 2 and 3, completion length, consistency, and the sample browser (--html)")
    _run(
        _cli(
            "report",
            f"tiny-random={evals / 'tiny_random_qwen2_vl'}",
            f"dummy-B={evals / 'dummy_always_B'}",
            "--paper",
            "--root",
            str(data),
            "--tokenizer",
            str(model),
            "--consistency",
            str(consistency),
            "--attention",
            str(attention),
            "--html",
            "--lvb-root",
            str(lvb),
            "--out",
            str(report),
        )
    )
    _print_length_section(report / "report.md")

    print(f"""
Demo finished. Outputs under {out}:
  report  {report / "report.md"}
  chart   {report / "report.png"} (Table 2), {report / "table3.png"} (Table 3), {report / "length.png"} (length)
  consistency {consistency / "consistency.md"} and judgments.jsonl (docs/analysis.md)
  attention {attention / "tiny-random" / "100.png"} and 100.json (docs/analysis.md)
  browser {report / "index.html"}: open it in a browser (file://{report / "index.html"}; docs/browser.md)
  parquet {verl}

For a real model on the real data (GPU):
  seedbench-r1 download --root /data/SEED-Bench-R1 --parts validation
  SEEDBENCH_R1_ROOT=/data/SEED-Bench-R1 seedbench-r1 eval --model seedbench_r1_qwen_vl \\
      --model_args pretrained=Qwen/Qwen2-VL-7B-Instruct,batch_size=auto --tasks seedbench_r1 \\
      --log_samples --output_path results/qwen2_vl_7b
  seedbench-r1 report results/qwen2_vl_7b --paper --out report""")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
