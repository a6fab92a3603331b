"""``seedbench-r1 download``, ``verify`` and ``extract-frames``: getting the data right before any run."""

from __future__ import annotations

import argparse
import os
import sys

from seedbench_r1.cli.knobs import whole
from seedbench_r1.data.extract_frames import DATASETS


def _add_dataset(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--dataset", choices=DATASETS, default="seedbench_r1", help=help_text)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "download",
        help="fetch chosen parts of TencentARC/SEED-Bench-R1 (or LongVideoBench), unpack media archives once, "
        "then verify",
        description="Fetch only the chosen parts of the Hugging Face dataset with huggingface_hub "
        "(resumable; HF_TOKEN and HF_ENDPOINT are honoured), unpack media archives in place once "
        "(a rerun skips them), then run verify on the downloaded splits. --dataset longvideobench fetches the "
        "gated longvideobench/LongVideoBench (HF_TOKEN of an account that accepted its terms): lvb_val.json and "
        "every videos.tar.part.* (the validation clips share them with the test clips; the sizes are printed "
        "first), unpacked into videos/.",
    )
    _add_dataset(p, "seedbench_r1 (default) or longvideobench (its validation set: lvb_val.json + videos/)")
    p.add_argument(
        "--root",
        default=None,
        help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache; longvideobench: $LONGVIDEOBENCH_ROOT or "
        "~/.cache/seedbench_r1/LongVideoBench)",
    )
    p.add_argument(
        "--parts",
        default="validation",
        help="comma-separated: validation, training_6k, training_cot, training_full, or all (seedbench_r1 only)",
    )
    p.add_argument(
        "--metadata-only",
        action="store_true",
        help="longvideobench: fetch lvb_val.json only, no videos (the final verify then checks counts only)",
    )
    p.add_argument(
        "--repo",
        default=None,
        help="dataset repo id (default TencentARC/SEED-Bench-R1; longvideobench: longvideobench/LongVideoBench)",
    )
    p.add_argument("--revision", default=None, help="repo revision (branch, tag or commit)")
    p.add_argument("--no-verify", action="store_true", help="skip the final verify")
    p.set_defaults(func=_download)

    p = subparsers.add_parser(
        "verify",
        help="check annotation rows, split sizes, L3 domain counts and media presence (--decode: decoding)",
        description="Verify a dataset root. Prints a table per split and exits 1 on any problem. Split "
        "sizes and L3 domain counts of the full release are asserted unless --no-expect-sizes. "
        "--dataset longvideobench reads lvb_val.json, asserts 1,337 questions, the duration-group and level "
        "counts (unless --no-expect-sizes) and that every clip is under videos/.",
    )
    _add_dataset(p, "seedbench_r1 (default) or longvideobench (lvb_val.json + videos/)")
    p.add_argument(
        "--root",
        default=None,
        help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache; longvideobench: $LONGVIDEOBENCH_ROOT or "
        "~/.cache/seedbench_r1/LongVideoBench)",
    )
    p.add_argument(
        "--splits",
        nargs="+",
        default=None,
        help="splits or annotation file names (default: all found; seedbench_r1 only)",
    )
    p.add_argument("--decode", action="store_true", help="also decode every clip (>= 2 frames) and image")
    p.add_argument(
        "--no-expect-sizes",
        dest="expect_sizes",
        action="store_false",
        help="report size / domain-count differences from the full release as notes, not failures "
        "(for the miniature fixture or a partial copy; longvideobench: the total, group and level counts)",
    )
    p.add_argument(
        "--expect-size",
        action="append",
        default=[],
        metavar="SPLIT=ROWS",
        help="assert this row count for a split instead of the release's (repeatable; seedbench_r1 only)",
    )
    p.add_argument("--workers", type=whole(1), default=os.cpu_count() or 1, help="processes for --decode")
    p.add_argument(
        "--frame-cache",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="also hash every file of the frame cache (default <root>/frames) against its manifest and name "
        "each corrupted, incomplete or stale entry (reads the whole cache: about a minute per 50 GB)",
    )
    p.set_defaults(func=_verify)

    p = subparsers.add_parser(
        "extract-frames",
        help="decode each clip once and cache its frames and observation images as 252x252 PNG",
        description="Write the protocol's frames of every clip and the observation images, lossless, under "
        "<root>/frames (or --out). Resumable and atomic per entry; a cache made under another rule or "
        "protocol version is rebuilt. A rerun compares each cached file's size and mtime with its manifest "
        "(and hashes a file whose mtime moved), so an entry edited in place is rebuilt; --verify hashes "
        "every file. One run per cache at a time: a second one fails at once (lock file "
        "<cache>/.extract-frames.lock). Local process pool by default: its workers die with this process, "
        "even when it is killed (Linux). Ray tasks with --ray: a local Ray (no ADDRESS) ends its task "
        "workers with this process but leaves two agents for `ray stop`; on a cluster, see docs/data.md. "
        "--dataset longvideobench caches every clip of LongVideoBench's lvb_val.json the same way, for the "
        "longvideobench_r1 task.",
    )
    _add_dataset(p, "seedbench_r1 (default): the samples of --splits; longvideobench: every validation clip")
    p.add_argument(
        "--root",
        default=None,
        help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache; longvideobench: $LONGVIDEOBENCH_ROOT or "
        "the cache)",
    )
    p.add_argument(
        "--splits",
        nargs="+",
        default=None,
        help="splits or annotation file names (default: the three validation levels; seedbench_r1 only)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="cache folder (default <root>/frames; longvideobench: $LONGVIDEOBENCH_FRAMES, else <root>/frames, "
        "where the longvideobench_r1 task reads it)",
    )
    p.add_argument("--workers", type=whole(1), default=os.cpu_count() or 1, help="local worker processes")
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="run as Ray tasks; ADDRESS of a cluster ('auto' for the running one), none for a local Ray",
    )
    p.add_argument("--force", action="store_true", help="rebuild entries even when a valid cache exists")
    p.add_argument(
        "--verify",
        action="store_true",
        help="hash every cached file (sha256) against its manifest and rebuild each entry whose content "
        "changed, naming its files (reads the whole cache; a plain rerun only compares sizes and mtimes)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_extract)


def _download(args: argparse.Namespace) -> int:
    from seedbench_r1.data.download import REPO_ID, DownloadError, download, parse_parts, splits_of_parts
    from seedbench_r1.protocol.root import resolve_root

    if args.dataset == "longvideobench":
        return _download_lvb(args)
    if args.metadata_only:
        print("error: --metadata-only is for --dataset longvideobench", file=sys.stderr)
        return 2
    root = resolve_root(args.root)
    try:
        parts = parse_parts(args.parts)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = download(root, parts, repo_id=args.repo or REPO_ID, revision=args.revision)
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dataset root: {root}")
    if args.no_verify:
        return 0
    return _print_verify(root, splits_of_parts(parts, result.plan), decode=False, expect_sizes=True)


def _download_lvb(args: argparse.Namespace) -> int:
    """``download --dataset longvideobench``: sizes first, then lvb_val.json (and the parts, unpacked)."""
    from seedbench_r1.data.download import DownloadError
    from seedbench_r1.longvideobench.download import LVB_REPO_ID, download_lvb
    from seedbench_r1.longvideobench.loader import resolve_lvb_root

    if args.parts != "validation":  # the parser's default: --parts was given
        print("error: --parts is for SEED-Bench-R1; LongVideoBench has one validation set", file=sys.stderr)
        return 2
    root = resolve_lvb_root(args.root)
    try:
        download_lvb(
            root, metadata_only=args.metadata_only, repo_id=args.repo or LVB_REPO_ID, revision=args.revision
        )
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)  # the hub's refusals are one line; a file listing is not
        return 1
    print(f"dataset root: {root}")
    if args.no_verify:
        return 0
    return _print_verify_lvb(root, expect_counts=True, check_videos=not args.metadata_only)


def _print_verify_lvb(
    root,  # noqa: ANN001
    *,
    expect_counts: bool,
    check_videos: bool = True,
    decode: bool = False,
    workers: int = 1,
) -> int:
    from seedbench_r1.longvideobench.verify import verify_lvb

    # A missing or bad lvb_val.json raises the loader's AnnotationError: cli.main prints its one line.
    report = verify_lvb(
        root, expect_counts=expect_counts, check_videos=check_videos, decode=decode, workers=workers
    )
    print(f"verify LongVideoBench {report.root}{' (with decoding)' if decode else ''}")
    print("\n".join(report.lines()))
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1


def _print_verify(
    root,  # noqa: ANN001
    splits,  # noqa: ANN001
    *,
    decode: bool,
    expect_sizes: bool,
    overrides: dict[str, int] | None = None,
    workers: int = 1,
) -> int:
    from seedbench_r1.data.verify import verify_root

    report = verify_root(
        root, splits, decode=decode, expect_sizes=expect_sizes, overrides=overrides, workers=workers
    )
    print(f"verify {report.root}{' (with decoding)' if decode else ''}")
    if report.splits:
        print(report.table())
    details = report.details()
    if details:
        print(details)
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1


def _verify(args: argparse.Namespace) -> int:
    from seedbench_r1.data.verify import parse_overrides
    from seedbench_r1.protocol.root import resolve_root

    if args.dataset == "longvideobench":
        return _verify_lvb(args)
    try:
        overrides = parse_overrides(args.expect_size)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rc = _print_verify(
        resolve_root(args.root),
        args.splits,
        decode=args.decode,
        expect_sizes=args.expect_sizes,
        overrides=overrides,
        workers=max(1, args.workers),
    )
    if args.frame_cache is not None:
        rc = max(rc, _verify_frame_cache(resolve_root(args.root), args.frame_cache))
    return rc


def _verify_lvb(args: argparse.Namespace) -> int:
    """``verify --dataset longvideobench``: counts (unless --no-expect-sizes), every clip, optionally decoding."""
    from seedbench_r1.longvideobench.loader import resolve_lvb_root

    given = [
        flag
        for flag, value in (
            ("--splits", args.splits),
            ("--expect-size", args.expect_size),
            ("--frame-cache", args.frame_cache is not None),
        )
        if value
    ]
    if given:
        print(
            f"error: {', '.join(given)}: SEED-Bench-R1 only; for LongVideoBench use --no-expect-sizes "
            "(counts as notes) and --decode",
            file=sys.stderr,
        )
        return 2
    return _print_verify_lvb(
        resolve_lvb_root(args.root),
        expect_counts=args.expect_sizes,
        decode=args.decode,
        workers=max(1, args.workers),
    )


def _verify_frame_cache(root, cache_arg: str) -> int:  # noqa: ANN001
    """``verify --frame-cache``: hash the whole cache, one line per bad file or entry, 1 if any."""
    from seedbench_r1.data.extract_frames import verify_cache
    from seedbench_r1.protocol.frame_cache import default_cache_dir

    check = verify_cache(cache_arg or default_cache_dir(root), root, progress=sys.stderr.isatty())
    print("\n".join(check.lines()))
    print("frame cache OK" if check.ok else "frame cache FAILED")
    return 0 if check.ok else 1


def _extract(args: argparse.Namespace) -> int:
    from seedbench_r1.data.extract_frames import extract_frames
    from seedbench_r1.protocol.frame_cache import default_cache_dir, lvb_cache_dir
    from seedbench_r1.protocol.root import resolve_root

    lvb = args.dataset == "longvideobench"
    if lvb:
        from seedbench_r1.longvideobench.loader import resolve_lvb_root

        if args.splits is not None:
            print(
                "error: --splits names SEED-Bench-R1 annotation splits; --dataset longvideobench caches every "
                "clip of lvb_val.json: drop --splits",
                file=sys.stderr,
            )
            return 2
        root = resolve_lvb_root(args.root)
        out = lvb_cache_dir(root, args.out)
        splits = None
    else:
        root = resolve_root(args.root)
        out = args.out or default_cache_dir(root)
        splits = args.splits or ["validation_L1", "validation_L2", "validation_L3"]
    # CacheBusyError (another run holds the cache's lock), a bad lvb_val.json (AnnotationError) and OS errors
    # end in cli.main's one-line error.
    summary = extract_frames(
        root,
        splits,
        out,
        dataset=args.dataset,
        workers=max(1, args.workers),
        use_ray=args.ray is not None,
        ray_address=args.ray or None,
        force=args.force,
        verify=args.verify,
        progress=not args.no_progress,
    )
    print(
        f"extract-frames: {summary.samples} {'questions' if lvb else 'samples'}, {summary.built} entries written, "
        f"{summary.cached} already "
        f"cached, {len(summary.failures)} failed, in {summary.seconds:.1f}s -> {out}"
    )
    if summary.swept:
        print(f"removed {summary.swept} temp folder(s) left by an interrupted run")
    if summary.changed:
        print(
            f"{len(summary.changed)} cached file(s) had changed since they were written; their entries were "
            "rebuilt (unless listed under failures):"
        )
        for path, reason in summary.changed:
            print(f"  {path}: {reason}")
    if summary.retimed:
        print(
            f"{summary.retimed} entries had files with new mtimes but unchanged content (a copy?): checked by "
            "hash, manifests updated"
        )
    if summary.bad_rows:
        print(f"{len(summary.bad_rows)} bad annotation rows skipped (run `seedbench-r1 verify`):")
        for line in summary.bad_rows[:5]:
            print(f"  {line}")
    if summary.failures:
        print("failures:")
        for rel, reason in summary.failures:
            print(f"  {rel}: {reason}")
    return 0 if summary.ok and not summary.bad_rows else 1
