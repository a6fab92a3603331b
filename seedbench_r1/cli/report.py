"""``seedbench-r1 report`` (Tables 2 and 3 from lmms-eval output folders) and ``seedbench-r1 curves`` (verl)."""

from __future__ import annotations

import argparse
import sys

from seedbench_r1.cli.knobs import whole
from seedbench_r1.protocol.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="Table-2 report, and Table 3 for LongVideoBench runs (Markdown, CSV, PNG), from lmms-eval output folders",
        description="Read lmms-eval output folders (the newest results per model folder; logged samples when "
        "present) and write report.md, table.csv, report.png (and paired.csv for runs with logged samples) "
        "in the paper's Table-2 layout with correct/total and 95%% Wilson intervals per cell; runs with "
        "longvideobench_r1 results also get the paper's Table 3 (LongVideoBench) in the same form; runs with "
        "logged responses get completion length against accuracy (length.csv, length_dist.csv, length.png).",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="lmms-eval --output_path folder, [LABEL=]PATH")
    p.add_argument(
        "--paper", action="store_true", help="add the paper's Vanilla/SFT/GRPO rows and differences"
    )
    p.add_argument("--out", default="report_out", help="output folder (default: report_out)")
    p.add_argument(
        "--root",
        default=None,
        help="SEED-Bench-R1 dataset root: L3 per-domain totals of runs without logged samples (default: none; "
        "the domain cells are then marked unknown), and with --html the questions and media "
        "(default there: $SEEDBENCH_R1_ROOT, else ~/.cache/seedbench_r1/SEED-Bench-R1)",
    )
    p.add_argument(
        "--html",
        action="store_true",
        help="also write the sample browser: index.html and site/ in --out, a static site that opens from disk "
        "(the runs side by side: frames, image, question, responses, verdicts; filters, search, deep links)",
    )
    p.add_argument(
        "--lvb-root",
        default=None,
        help="with --html: the LongVideoBench root for its questions and clips "
        "(default: $LONGVIDEOBENCH_ROOT, else ~/.cache/seedbench_r1/LongVideoBench)",
    )
    p.add_argument(
        "--attention",
        action="append",
        default=[],
        metavar="DIR",
        help="with --html: show the attention maps in DIR (the --out of seedbench-r1 attention) on their "
        "samples (repeatable)",
    )
    p.add_argument(
        "--n-boot", type=whole(1), default=10_000, help="paired bootstrap resamples (default 10000)"
    )
    p.add_argument("--seed", type=whole(), default=0, help="paired bootstrap seed (default 0)")
    p.add_argument(
        "--partial",
        action="store_true",
        help="write the report even if some input cannot be read (a results value, a sample line); the page "
        "then lists what is missing at its top. Without it such input is an error and nothing is written",
    )
    p.add_argument(
        "--tokenizer",
        action="append",
        default=[],
        metavar="[LABEL=]PATH",
        help="count response lengths in tokens of the tokenizer saved at PATH (a checkpoint folder; local "
        "files only): one PATH for all runs, LABEL=PATH for one run (repeatable); default: words",
    )
    p.add_argument(
        "--consistency",
        action="append",
        default=[],
        metavar="DIR",
        help="add the consistency rates in DIR (the --out of seedbench-r1 consistency) for these runs, with "
        "paired comparisons (repeatable: one section per judge)",
    )
    p.set_defaults(func=_report)

    p = subparsers.add_parser(
        "curves",
        help="training curves (PNG + CSV) from verl's file-logger JSONL or TensorBoard events",
        description="Plot the accuracy reward (critic/score/mean), mean response length (response_length/mean) "
        "and validation accuracy per level (val-core/<data_source>/.../mean@N) against the training step.",
    )
    p.add_argument(
        "logs", nargs="+", metavar="LOG", help="[LABEL=]PATH to a verl file-logger .jsonl or event dir"
    )
    p.add_argument("--out", default="curves_out", help="output folder (default: curves_out)")
    p.set_defaults(func=_curves)


def _report(args: argparse.Namespace) -> int:
    from seedbench_r1.browser.media import stderr_progress
    from seedbench_r1.report.build import build_report

    if (args.lvb_root or args.attention) and not args.html:
        raise UsageError("--lvb-root and --attention are options of the sample browser: add --html")

    files = build_report(
        args.runs,
        args.out,
        paper=args.paper,
        root=args.root,
        n_boot=args.n_boot,
        seed=args.seed,
        tokenizers=args.tokenizer,
        partial=args.partial,
        consistency=args.consistency,
        html=args.html,
        lvb_root=args.lvb_root,
        attention=args.attention,
        progress=stderr_progress,
    )
    for problem in files.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"report: {files.markdown}")
    print(f"table:  {files.table_csv}")
    if files.paired_csv:
        print(f"paired: {files.paired_csv}")
    print(f"chart:  {files.png}")
    for label, path in (
        ("table3", files.table3_csv),
        ("paired3", files.table3_paired_csv),
        ("chart3", files.table3_png),
        ("length", files.length_csv),
        ("lendist", files.length_dist_csv),
        ("chartlen", files.length_png),
        ("consistency", files.consistency_csv),
        ("paired_consistency", files.consistency_paired_csv),
    ):
        if path is not None:
            print(f"{label}: {path}")
    site = files.site
    if site is not None:
        for note in site.problems:
            print(f"browser: {note}", file=sys.stderr)
        print(
            f"site:   {site.index} ({site.samples} samples in {site.chunks} data files; media {site.media_made} "
            f"made, {site.media_reused} reused, {len(site.missing_media)} missing; "
            f"{site.bytes_on_disk / 1e6:.1f} MB). Open it in a browser: file://{site.index.resolve()}"
        )
    # Exit 1 when no RUN could be read at all (the report then holds only the paper rows / nothing).
    return 0 if files.runs else 1


def _curves(args: argparse.Namespace) -> int:
    from seedbench_r1.report.curves import build_curves

    files = build_curves(args.logs, args.out)  # CurvesError: one line from the CLI's error path
    for problem in files.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for log in files.logs:
        steps = sorted({s for series in log.series.values() for s, _ in series})
        span = f"steps {steps[0]}..{steps[-1]}" if steps else "no steps"
        print(f"{log.label}: {log.kind} {log.path} ({len(log.series)} metrics, {span})")
    print(f"chart: {files.png}")
    print(f"csv:   {files.csv}")
    return 0
