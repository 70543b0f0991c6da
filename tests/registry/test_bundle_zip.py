"""Uploaded bundle .zip files that are attacks, not bundles (issue 11, item 2): path traversal,
links and zip bombs are refused with a reason and write nothing outside a temporary folder."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from mlcore.bundle import BundleError, unpack_bundle_zip
from registry import services
from registry.errors import BundleRejected
from registry.models import ModelVersion
from tests.registry.bundles import zip_folder

pytestmark = pytest.mark.django_db


def rejected(archive: Path, language) -> str:  # noqa: ANN001
    with archive.open("rb") as fh, pytest.raises(BundleRejected) as info:
        services.register_bundle(fh, language)
    assert not ModelVersion.objects.exists()
    (problem,) = info.value.problems
    return problem


def with_extra(bundle_zip: Path, out: Path, name: str, data: bytes, **info: int) -> Path:
    """A copy of a real bundle .zip with one more member."""
    with zipfile.ZipFile(bundle_zip) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.infolist():
            dst.writestr(member, src.read(member))
        entry = zipfile.ZipInfo(name)
        for key, value in info.items():
            setattr(entry, key, value)
        dst.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return out


@pytest.fixture
def real_zip(make_bundle, tmp_path) -> Path:  # noqa: ANN001
    return zip_folder(make_bundle(), tmp_path / "bundle.zip")


def test_parent_path_is_refused_and_nothing_lands_outside(ase, real_zip, tmp_path):
    evil = with_extra(real_zip, tmp_path / "evil.zip", "bundle/../../../escaped.txt", b"owned")
    assert "unsafe path in archive: bundle/../../../escaped.txt" in rejected(evil, ase)
    assert not list(tmp_path.parent.rglob("escaped.txt"))


def test_absolute_path_is_refused(ase, real_zip, tmp_path):
    evil = with_extra(real_zip, tmp_path / "abs.zip", "/tmp/escaped.txt", b"owned")
    assert "unsafe path" in rejected(evil, ase)


def test_symlink_is_refused(ase, real_zip, tmp_path):
    link = with_extra(real_zip, tmp_path / "link.zip", "bundle/secret", b"/etc/passwd",
                      external_attr=(stat.S_IFLNK | 0o777) << 16)
    assert "links are not allowed" in rejected(link, ase)


def test_zip_bomb_by_ratio_is_refused(ase, real_zip, tmp_path):
    # 200 MB of zeros deflate to ~200 KB: a ratio near 1000 where weights barely compress.
    bomb = with_extra(real_zip, tmp_path / "bomb.zip", "bundle/padding.bin", b"\0" * (200 << 20))
    assert bomb.stat().st_size < 2 << 20
    problem = rejected(bomb, ase)
    assert "times its packed size" in problem and "zip bomb" in problem


def test_zip_bomb_by_total_size_is_refused(real_zip, tmp_path):
    with pytest.raises(BundleError, match=r"unpacks to \d+ bytes, above the limit of 1000"):
        unpack_bundle_zip(real_zip, tmp_path / "out", max_unpacked=1000)
    assert not (tmp_path / "out").exists()


def test_a_member_that_lies_about_its_size_stops_at_the_declared_size(tmp_path):
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bundle/bundle.json", b"{}")
        zf.writestr("bundle/weights", b"\0" * 100_000)
    data = bytearray(archive.read_bytes())
    # Shrink the declared size in the central directory to 10 bytes (a header that lies).
    central = data.find(b"PK\x01\x02")
    while data[central + 46:central + 60] != b"bundle/weights":
        central = data.find(b"PK\x01\x02", central + 4)
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    assert zipfile.ZipFile(archive).getinfo("bundle/weights").file_size == 10
    with pytest.raises((BundleError, zipfile.BadZipFile)):  # never 100 000 bytes on disk
        unpack_bundle_zip(archive, tmp_path / "out", max_ratio=1000)


def test_a_real_bundle_zip_still_unpacks(real_zip, tmp_path):
    root = unpack_bundle_zip(real_zip, tmp_path / "out")
    assert (root / "bundle.json").is_file() and (root / "model.safetensors").is_file()
