"""Browser fixtures: Debian's Chromium driven by Playwright, a fake camera fed with real frames,
and the shared live stack (tests/integration/live.py) made ready for pages.

Screenshots go to a temporary folder, and also to $SLRWEB_SCREENSHOTS when it is set
(`SLRWEB_SCREENSHOTS=docs/screenshots make test` refreshes the committed ones).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium
from tests.support.videos import make_y4m

PASSWORD = "signing-in-the-browser-7"
# Served by a tiny translator with random weights (tests/registry/bundles): it gives the
# language picker an entry and runs the translation stage end to end; its words mean nothing.
LANGUAGE = "gsg"


def stack_value(stack: Any, code: str) -> str:
    """The last line a Python snippet prints in the live stack's Django shell."""
    return stack.manage("shell", "-c", code).strip().splitlines()[-1]


@pytest.fixture(scope="session")
def site(live_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shared live stack with a model active for LANGUAGE only."""
    from tests.registry.bundles import LETTERS, spm_model, translation_bundle

    folder = tmp_path_factory.mktemp("gsg-model")
    bundle = translation_bundle(folder / "tiny-gsg", spm_model(folder), language=LANGUAGE,
                                name="tiny-gsg")
    live_stack.manage("shell", "-c", (
        "from registry import services; "
        f"language = services.ensure_language({LANGUAGE!r}); "
        f"services.add_glosses(language, {LETTERS!r}); "
        f"services.activate_version(services.register_bundle({str(bundle)!r}, language))"
    ))
    return live_stack


def sign_up(page: Any, username: str, shoot: Any = None) -> None:
    """Create an account through the pages, starting from the login the home page asks for."""
    page.goto("/")
    assert "/accounts/login/" in page.url  # pages need an account here
    page.get_by_role("link", name="Sign up").first.click()
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    if shoot:
        shoot(page, "signup")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    assert page.get_by_text(f"Signed in as {username}").is_visible()


@pytest.fixture(scope="session")
def fake_camera_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real SILFA frames of a person fingerspelling, as the fake camera's .y4m input."""
    return make_y4m(shared_data, "BCD", tmp_path_factory.mktemp("camera") / "silfa.y4m",
                    fps=30, size=(640, 360))


@pytest.fixture(scope="package")
def browser(fake_camera_file: Path) -> Iterator[Any]:
    args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera_file}",
    ]
    with chromium(args) as launched:
        yield launched


@pytest.fixture(scope="session")
def screenshot_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    dirs = [tmp_path_factory.mktemp("screenshots")]
    if os.environ.get("SLRWEB_SCREENSHOTS"):
        dirs.append(Path(os.environ["SLRWEB_SCREENSHOTS"]))
    for folder in dirs:
        folder.mkdir(parents=True, exist_ok=True)
    return dirs


# The SILFA signer is an identifiable person whose frames are licensed for tests only
# (../shared/data/README.md): screenshots kept in the repository blur every picture of her.
BLUR_PEOPLE = "video, img.thumb { filter: blur(14px) !important; }"


@pytest.fixture(scope="session")
def shoot(screenshot_dirs: list[Path]):  # noqa: ANN201
    """shoot(page, "name") saves name.png of the whole page in every screenshot folder."""

    def save(page: Any, name: str) -> None:
        (folder, *published) = screenshot_dirs
        (folder / f"{name}.png").write_bytes(page.screenshot(full_page=True, animations="disabled"))
        if not published:
            return
        style = page.add_style_tag(content=BLUR_PEOPLE)
        data = page.screenshot(full_page=True, animations="disabled")
        style.evaluate("element => element.remove()")
        for target in published:
            (target / f"{name}.png").write_bytes(data)

    return save


def new_page(browser: Any, base_url: str) -> Any:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                  permissions=["camera"])
    context.set_default_timeout(20_000)
    page = context.new_page()
    # Script errors fail the page's tests at teardown (see `page_errors`).
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and page.script_errors.append(m.text))
    return page
