"""The browser's MediaPipe Holistic and Hands (privacy mode), fetched from the npm registry and
served by us.

`slrweb vendor` (run by `make install`) downloads the pinned tarballs of the npm packages
@mediapipe/holistic and @mediapipe/hands (PACKAGES), checks each against the sha512 integrity
pinned here, and unpacks the files the page needs into VENDOR_DIR (git-ignored), which
settings.STATICFILES_DIRS serves under /static/vendor/. Hands finds the hands Holistic lost, for
languages whose models were trained on such landmarks (landmarks/hands.py; the page's
handrecovery.js). The page never loads anything from a CDN. No Django import here: the command runs
before the site is configured.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final

VENDOR_DIR: Final = Path(__file__).resolve().parent / "vendor"
# Static path prefix of the vendored files (STATICFILES_DIRS names VENDOR_DIR with it).
STATIC_PREFIX: Final = "vendor"


@dataclass(frozen=True)
class NpmPackage:
    name: str  # e.g. "@mediapipe/holistic"
    version: str
    integrity: str  # the registry's dist.integrity: "sha512-<base64>"
    folder: str  # subfolder of VENDOR_DIR
    files: tuple[str, ...]  # paths inside the tarball's package/ folder that the page needs

    @property
    def tarball_url(self) -> str:
        bare = self.name.rsplit("/", 1)[-1]
        return f"https://registry.npmjs.org/{self.name}/-/{bare}-{self.version}.tgz"


# The last release; its graph matches the Python mediapipe 0.10.21 Holistic legacy solution
# (pose_landmark_full = model_complexity 1). The lite and heavy pose models are left out.
HOLISTIC: Final = NpmPackage(
    name="@mediapipe/holistic",
    version="0.5.1675471629",
    integrity=(
        "sha512-qY+cxtDeSOvVtevrLgnodiwXYaAtPi7dHZtNv/bUCGEjFicAOYtMmrZSqMmbPkTB2+4jLnPF1vgshkAqQRSYAw=="
    ),
    folder="holistic",
    files=(
        "holistic.js",
        "holistic.binarypb",
        "holistic_solution_packed_assets.data",
        "holistic_solution_packed_assets_loader.js",
        "holistic_solution_simd_wasm_bin.data",
        "holistic_solution_simd_wasm_bin.js",
        "holistic_solution_simd_wasm_bin.wasm",
        "holistic_solution_wasm_bin.js",
        "holistic_solution_wasm_bin.wasm",
        "pose_landmark_full.tflite",
        "README.md",
        "package.json",
    ),
)
# The last release; Python mediapipe 0.10.21's Hands legacy solution with model_complexity 1
# (hand_landmark_full), as landmarks/hands.py runs it. The lite model is left out.
HANDS: Final = NpmPackage(
    name="@mediapipe/hands",
    version="0.4.1675469240",
    integrity=(
        "sha512-GxoZvL1mmhJxFxjuyj7vnC++JIuInGznHBin5c7ZSq/RbcnGyfEcJrkM/bMu5K1Mz/2Ko+vEX6/+wewmEHPrHg=="
    ),
    folder="hands",
    files=(
        "hands.js",
        "hands.binarypb",
        "hands_solution_packed_assets.data",
        "hands_solution_packed_assets_loader.js",
        "hands_solution_simd_wasm_bin.data",
        "hands_solution_simd_wasm_bin.js",
        "hands_solution_simd_wasm_bin.wasm",
        "hands_solution_wasm_bin.js",
        "hands_solution_wasm_bin.wasm",
        "hand_landmark_full.tflite",
        "README.md",
        "package.json",
    ),
)
PACKAGES: Final = (HOLISTIC, HANDS)
STAMP_NAME: Final = ".version"

OFFLINE_HELP = (
    "Privacy mode (MediaPipe in the browser) stays off, or without hand recovery, until this "
    "succeeds; the rest of the site works without it. With network access run `slrweb vendor` "
    "again, or fetch {url} elsewhere and run `slrweb vendor --tarball FILE`."
)


class VendorError(RuntimeError):
    """The package could not be fetched, or its bytes are not the pinned ones."""


def integrity_of(data: bytes) -> str:
    """npm's dist.integrity string (sha512, base64) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def is_installed(package: NpmPackage = HOLISTIC, root: Path = VENDOR_DIR) -> bool:
    """True when every file of this exact version is in place."""
    folder = root / package.folder
    stamp = folder / STAMP_NAME
    return (stamp.is_file() and stamp.read_text().strip() == f"{package.name}@{package.version}"
            and all((folder / name).is_file() for name in package.files))


def download(url: str, timeout: float = 30.0) -> bytes:
    """The bytes at url, or VendorError saying why (offline, refused, HTTP error)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https only
            return bytes(response.read())
    except (urllib.error.URLError, OSError) as error:
        raise VendorError(f"could not download {url}: {error}") from error


def unpack(package: NpmPackage, data: bytes, root: Path = VENDOR_DIR) -> Path:
    """Check data against the pinned integrity and write the package's files under root.

    Writes into a temporary sibling folder that replaces the old one at the end, so a failure
    never leaves a half-installed version behind."""
    actual = integrity_of(data)
    if actual != package.integrity:
        raise VendorError(f"{package.name}@{package.version}: integrity {actual} does not match "
                          f"the pinned {package.integrity}; refusing to install it")
    folder = root / package.folder
    staging = root / f".{package.folder}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for name in package.files:
            try:
                member = archive.extractfile(f"package/{name}")
            except KeyError:
                member = None
            if member is None:
                raise VendorError(f"{package.name}@{package.version} has no file {name}")
            (staging / name).write_bytes(member.read())
    (staging / STAMP_NAME).write_text(f"{package.name}@{package.version}\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return folder


def install(package: NpmPackage = HOLISTIC, root: Path = VENDOR_DIR,
            tarball: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """Install package under root (from tarball when given, else the npm registry).

    Returns (folder, changed); does nothing when this version is already in place (unless
    force)."""
    if is_installed(package, root) and not force:
        return root / package.folder, False
    data = tarball.read_bytes() if tarball else download(package.tarball_url)
    return unpack(package, data, root), True


def tarball_for(package: NpmPackage, tarballs: list[Path]) -> Path | None:
    """Of the given tarballs, the one holding this package's pinned bytes (None: none does)."""
    for path in tarballs:
        if integrity_of(path.read_bytes()) == package.integrity:
            return path
    return None
