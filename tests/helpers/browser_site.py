"""For the sample browser's tests: the command in this process, a planted copy of a run, a recorded tab."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from seedbench_r1.cli import main

REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("SEEDBENCH_R1_ARTEFACTS", REPO / "test-artefacts")) / "browser"
# What the planted run's responses carry: markup that would run or load something if it were ever parsed.
PLANTED = (
    '<think>try </script><script>window.__pwned = 1</script> and <img src="x" onerror="window.__pwned = 2">'
    "</think><answer>B</answer>"
)
HUGE_ID = "100"  # L1 sample whose planted response is huge (cut, then "show all")
HUGE = "<think>" + "very long reasoning " * 400 + "</think><answer>B</answer>"


def cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def _response_of(line: dict[str, Any], text: str) -> None:
    for name in ("resps", "filtered_resps"):
        line[name] = [[text]] if name == "resps" else [text]


def planted_run(run: Path, dest: Path) -> Path:
    """A copy of a real lmms-eval run whose logged responses (and one prompt) carry planted markup."""
    shutil.copytree(run, dest)
    for path in dest.rglob("*_samples_*.jsonl"):
        lines = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            huge = "_l1" in path.name and str(line["seedbench_r1_parsed"]["sample_id"]) == HUGE_ID
            _response_of(line, HUGE if huge else PLANTED)
            line["input"] = "</script><b>bold?</b> " + line["input"]
            lines.append(json.dumps(line))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


class Page:
    """One tab with the page's own requests and errors recorded."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def open(self, url: str) -> Any:
        """Load ``url`` afresh and wait until its view has rendered (a sample view: with its data file)."""
        self.page.goto("about:blank")
        self.page.goto(url)
        self.page.wait_for_function("window.SBR1_TIMING && window.SBR1_TIMING.renders > 0")
        return self.page

    def renders(self) -> int:
        return self.page.evaluate("window.SBR1_TIMING.renders")

    def wait_render(self, before: int) -> None:
        self.page.wait_for_function(f"window.SBR1_TIMING.renders > {before}")

    def shot(self, name: str) -> Path:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
