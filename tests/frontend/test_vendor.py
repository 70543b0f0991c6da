"""frontend.vendor (`slrweb vendor`): the browser's Holistic is installed only with the pinned bytes.

The tarballs are built here with tarfile in npm's layout (package/...): the registry itself is
not reachable from CI, and the checks under test (integrity, file list, atomic replace, the
offline message) do not depend on where the bytes came from.
"""

from __future__ import annotations

import argparse
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from frontend import vendor
from frontend.cli import run_vendor

FILES = ("holistic.js", "model.tflite")


def npm_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def package_for(data: bytes, files: tuple[str, ...] = FILES) -> vendor.NpmPackage:
    return replace(vendor.HOLISTIC, integrity=vendor.integrity_of(data), files=files)


@pytest.fixture
def tarball() -> bytes:
    return npm_tarball({"holistic.js": b"var Holistic;", "model.tflite": b"\x00tflite",
                        "unused.wasm": b"not needed"})


def test_the_pinned_package_is_the_registry_tarball_of_its_version() -> None:
    assert vendor.HOLISTIC.tarball_url == (
        "https://registry.npmjs.org/@mediapipe/holistic/-/holistic-0.5.1675471629.tgz")
    assert vendor.HOLISTIC.integrity.startswith("sha512-")
    # the pose model of model_complexity 1, as the server's extraction (landmarks/extract.py)
    assert "pose_landmark_full.tflite" in vendor.HOLISTIC.files


def test_integrity_is_npm_dist_integrity() -> None:
    # sha512 of b"" as npm writes it (base64 of the digest)
    assert vendor.integrity_of(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")


def test_unpack_writes_only_the_listed_files_and_a_version_stamp(tmp_path: Path,
                                                                  tarball: bytes) -> None:
    package = package_for(tarball)
    folder = vendor.unpack(package, tarball, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [".version", *FILES]
    assert (folder / "holistic.js").read_bytes() == b"var Holistic;"
    assert vendor.is_installed(package, tmp_path)
    assert not vendor.is_installed(replace(package, version="0.0.1"), tmp_path)


def test_bytes_that_are_not_the_pinned_ones_are_refused_and_nothing_changes(
        tmp_path: Path, tarball: bytes) -> None:
    package = package_for(tarball)
    vendor.unpack(package, tarball, tmp_path)
    tampered = npm_tarball({"holistic.js": b"alert(1)", "model.tflite": b"\x00tflite"})
    with pytest.raises(vendor.VendorError, match="does not match the pinned"):
        vendor.unpack(package, tampered, tmp_path)
    assert (tmp_path / package.folder / "holistic.js").read_bytes() == b"var Holistic;"


def test_a_file_missing_from_the_tarball_is_an_error_and_leaves_no_partial_install(
        tmp_path: Path, tarball: bytes) -> None:
    package = package_for(tarball, files=(*FILES, "holistic.binarypb"))
    with pytest.raises(vendor.VendorError, match="has no file holistic.binarypb"):
        vendor.unpack(package, tarball, tmp_path)
    assert not vendor.is_installed(package, tmp_path)
    assert not (tmp_path / package.folder).exists()


def test_install_from_a_local_tarball_then_skips_when_in_place(tmp_path: Path,
                                                               tarball: bytes) -> None:
    package = package_for(tarball)
    (tmp_path / "h.tgz").write_bytes(tarball)
    assert vendor.install(package, tmp_path / "v", tarball=tmp_path / "h.tgz")[1] is True
    assert vendor.install(package, tmp_path / "v", tarball=tmp_path / "missing.tgz")[1] is False


def test_offline_the_command_fails_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # An unroutable registry stands in for a machine without network access.
    unreachable = replace(vendor.HOLISTIC, name="@mediapipe/holistic-offline-test")
    monkeypatch.setattr(vendor, "PACKAGES", (unreachable,))
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    monkeypatch.setattr(vendor.NpmPackage, "tarball_url", property(
        lambda self: "http://127.0.0.1:9/holistic.tgz"))
    assert run_vendor(argparse.Namespace(tarball=[], force=False)) == 1
    err = capsys.readouterr().err
    assert "could not download http://127.0.0.1:9/holistic.tgz" in err
    assert "slrweb vendor --tarball FILE" in err and "Privacy mode" in err


def test_given_tarballs_are_matched_to_their_packages_by_their_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tarball: bytes) -> None:
    hands_data = npm_tarball({"hands.js": b"var Hands;"})
    holistic = package_for(tarball)
    hands = replace(vendor.HANDS, integrity=vendor.integrity_of(hands_data), files=("hands.js",))
    (tmp_path / "a.tgz").write_bytes(hands_data)
    (tmp_path / "b.tgz").write_bytes(tarball)
    assert vendor.tarball_for(hands, [tmp_path / "b.tgz", tmp_path / "a.tgz"]) == tmp_path / "a.tgz"
    assert vendor.tarball_for(hands, [tmp_path / "b.tgz"]) is None
    monkeypatch.setattr(vendor, "PACKAGES", (holistic, hands))
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "v")
    assert run_vendor(argparse.Namespace(tarball=[tmp_path / "a.tgz", tmp_path / "b.tgz"],
                                         force=False)) == 0
    assert vendor.is_installed(holistic, tmp_path / "v") and vendor.is_installed(hands, tmp_path / "v")
    assert (tmp_path / "v" / "hands" / "hands.js").read_bytes() == b"var Hands;"
