"""Debian's Chromium, driven by Playwright, for the browser tests and the benchmark (no browser download).

Playwright's Python package talks to any recent Chromium over its DevTools protocol; ``executable_path`` points
it at the system one (``apt-get install chromium``). As root Chromium needs ``--no-sandbox``; background
networking (updates, safe browsing, field trials) is off so the only requests are the page's own.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM_ENV = "SEEDBENCH_R1_CHROMIUM"  # a Chromium binary to use instead of the one on PATH
CANDIDATES = ("chromium", "chromium-browser")
QUIET = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
]


def find_chromium() -> str | None:
    """``$SEEDBENCH_R1_CHROMIUM``, else the first Chromium on PATH; None when there is none."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def launch_args() -> list[str]:
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return QUIET + (["--no-sandbox"] if root else [])  # Chromium's sandbox refuses to start as root


def launch(playwright: Any, executable: str) -> Any:
    """A headless Chromium browser (Playwright ``Browser``) from ``executable``."""
    return playwright.chromium.launch(executable_path=executable, headless=True, args=launch_args())
