"""Debian's Chromium driven by Playwright's sync API (never `playwright install`).

Use it from a module- or package-scoped fixture: while a sync Playwright session is open it
runs an event loop in the main thread, so a session-wide browser would break every later test
that calls asyncio.run().
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """A launched headless Chromium; closed (and Playwright stopped) on exit."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (never playwright install)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_FLAGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()
