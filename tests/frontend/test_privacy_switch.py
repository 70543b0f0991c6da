"""The home page's "keep my video on this device" switch (issue 14 item 4, privacy mode).

It is offered only when the browser's Holistic is installed (`slrweb vendor`), and tells the page
script where those files are and at which rate the server's extraction reads frames.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from frontend import vendor


def switch_input(html: str) -> str:
    found = re.search(r'<input[^>]*id="privacy-switch"[^>]*>', html)
    assert found, "the page has no privacy switch"
    return found.group(0)


def place_files(root: Path, stamp: str, package: vendor.NpmPackage = vendor.HOLISTIC) -> None:
    """The package's file names under root, stamped with a version (contents do not matter to
    the page)."""
    folder = root / package.folder
    folder.mkdir()
    for name in package.files:
        (folder / name).write_bytes(b"x")
    (folder / vendor.STAMP_NAME).write_text(stamp)


def test_the_switch_points_the_page_at_the_sites_own_holistic(alice_client, settings,
                                                             monkeypatch, tmp_path: Path):
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    place_files(tmp_path, f"{vendor.HOLISTIC.name}@{vendor.HOLISTIC.version}")
    settings.SLRWEB_EXTRACT_FPS = 12
    html = alice_client.get("/").content.decode()
    assert "disabled" not in switch_input(html)
    assert 'data-holistic-url="/static/vendor/holistic/"' in html
    assert 'data-fps="12"' in html
    assert 'data-hands-url=""' in html  # no MediaPipe Hands: no hand recovery in the page
    for script in ("npz.js", "holistic.js", "handrecovery.js", "privacy.js"):
        assert f'src="/static/frontend/{script}"' in html
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("stamp", [None, "@mediapipe/holistic@0.4.0"])
def test_without_the_installed_version_the_switch_is_off_and_says_why(
        alice_client, monkeypatch, tmp_path: Path, stamp: str | None):
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    if stamp:  # an older version left behind is not the pinned one
        place_files(tmp_path, stamp)
    html = alice_client.get("/").content.decode()
    assert "disabled" in switch_input(html)
    assert "slrweb vendor" in html


@pytest.mark.django_db
def test_the_page_recovers_hands_for_the_languages_whose_jobs_do(alice_client, monkeypatch,
                                                                   tmp_path: Path):
    from registry import services
    from tests.registry.bundles import LETTERS, isolated_bundle

    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    for package in vendor.PACKAGES:
        place_files(tmp_path, f"{package.name}@{package.version}", package)
    html = alice_client.get("/").content.decode()
    assert 'data-hands-url="/static/vendor/hands/"' in html
    assert 'data-recover-languages=""' in html
    ase = services.ensure_language("ase")
    services.add_glosses(ase, LETTERS)
    services.activate_version(services.register_bundle(
        isolated_bundle(tmp_path / "recovering", hand_recovery=True), ase))
    html = alice_client.get("/").content.decode()
    assert 'data-recover-languages="ase"' in html  # switched on by the activation, no restart
    live = alice_client.get("/live/").content.decode()  # live mode's camera path does the same
    assert 'data-hands-url="/static/vendor/hands/"' in live
    assert 'data-recover-languages="ase"' in live and "frontend/handrecovery.js" in live
