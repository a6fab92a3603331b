"""The browser tests' fixtures: sites built from real lmms-eval runs, and Debian's Chromium through Playwright.

Without Chromium the page tests skip with the reason; with ``CI`` set they fail instead, so CI can never skip
them silently (``.ci/run`` installs Chromium with apt-get).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
from browser_site import HUGE_ID, Page, cli, planted_run  # noqa: E402
from consistency_cli import planted  # noqa: E402

from seedbench_r1.browser.chromium import find_chromium, launch  # noqa: E402


@pytest.fixture(scope="session")
def seed_site(
    lmms_runs: dict[str, Path],
    fixture_root: Path,
    tiny_qwen2_vl: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """The site of three SEED-Bench-R1 runs (always B, never answering, B with planted markup), with the
    verdicts of a planted judge on run B and the attention map of L1 sample 100."""
    base = tmp_path_factory.mktemp("browser_seed")
    planted_dir = planted_run(lmms_runs["B"], base / "planted")
    runs = [f"B={lmms_runs['B']}", f"none={lmms_runs['none']}", f"planted={planted_dir}"]
    rc, _, err, _ = planted("yes", runs[0], base / "judged")
    assert rc == 0, err
    rc, _, err = cli(
        "attention", "--model", f"tiny={tiny_qwen2_vl}", "--split", "validation_L1", "--samples", HUGE_ID,
        "--response-from", lmms_runs["B"], "--root", fixture_root, "--device", "cpu", "--out", base / "attention",
    )  # fmt: skip
    assert rc == 0, err
    out = base / "site"
    rc, so, se = cli(
        "report", *runs, "--root", fixture_root, "--consistency", base / "judged", "--attention",
        base / "attention", "--html", "--out", out,
    )  # fmt: skip
    assert rc == 0, se
    return {"out": out, "runs": runs, "stdout": so, "stderr": se, "root": fixture_root}


@pytest.fixture(scope="session")
def lvb_site(
    lvb_dummy_runs: dict[str, Path], lvb_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("browser_lvb") / "site"
    runs = [f"E={lvb_dummy_runs['E']}", f"B={lvb_dummy_runs['B']}"]
    rc, so, se = cli("report", *runs, "--lvb-root", lvb_root, "--html", "--out", out)
    assert rc == 0, se
    return {"out": out, "runs": runs, "stdout": so, "root": lvb_root}


# Module scope, not session: Playwright's sync API runs its asyncio loop in the main thread while it is open,
# and later tests that call run_until_complete on the current loop (verl's reward loop) would find it running.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = find_chromium()
    if exe is None:
        why = "Debian's chromium is not installed (apt-get install chromium); the sample browser's page tests need it"
        if os.environ.get("CI"):
            pytest.fail(f"{why}, and CI is set: these tests may not be skipped there")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p, exe)
        yield b
        b.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    page.context.close()
