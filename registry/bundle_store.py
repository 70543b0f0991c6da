"""Registered model bundles through Django's STORAGES API, and their local copies for torch.

A registered bundle is a folder of files in the "default" storage (a local folder, or an
S3-compatible bucket: slrweb/settings/storage.py), named by ModelVersion.bundle_path, e.g.
"registry/bundles/ase/translation/tiny-1-0a1b2c3d/config.json". Nothing reads it from
MEDIA_ROOT: a process that needs the files (torch, SentencePiece) asks `local_bundle`, which
materialises them once per machine into SLRWEB_BUNDLE_CACHE/<checksum>, the folder named by
the sha256 the registry stored for the version. A copy is downloaded into a temporary folder
beside it, checked against that checksum and renamed into place: a half-written or altered
copy is never seen, and processes racing to fetch the same bundle each end with the one that
was renamed first. The files of a bundle never change once registered (the checksum is part of
its identity), so a folder in the cache stays valid for as long as the version exists.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

from mlcore.bundle import MANIFEST
from registry.validation import bundle_checksum

log = logging.getLogger(__name__)

BUNDLE_STORE = "registry/bundles"  # registered bundles, one folder each, in the storage
UPLOAD_STORE = "registry/uploads"  # uploaded .zip files waiting for the worker to register them
# Temporary folders in the cache older than this were left by a killed process: removed.
STALE_TEMP_SECONDS = 24 * 3600
_TEMP_PREFIX = ".part-"


class StoredBundleError(OSError):
    """A stored bundle is missing or its files do not match the registered checksum."""


def storage() -> Storage:
    """The storage holding registered bundles and uploads in flight."""
    return storages["default"]


def cache_root() -> Path:
    return Path(settings.SLRWEB_BUNDLE_CACHE)


# Storing and deleting ----------------------------------------------------------------------

def store_bundle(root: Path, name: str) -> None:
    """Copy every file of the local bundle folder `root` into the storage under `name`.

    Files already stored under `name` (left by a registration whose transaction rolled back)
    are deleted first, so the stored folder holds exactly the files of `root`.
    """
    if not in_bundle_store(name):
        raise ValueError(f"{name!r} is not a folder of the bundle store ({BUNDLE_STORE}/...)")
    delete_bundle(name)
    target = storage()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        wanted = f"{name}/{path.relative_to(root).as_posix()}"
        with path.open("rb") as handle:
            saved = target.save(wanted, File(handle, name=path.name))
        if saved != wanted:  # the storage renamed it: the stored folder would not be the bundle
            target.delete(saved)
            raise StoredBundleError(f"the storage stored {wanted} as {saved}")


def stored_files(name: str) -> list[str]:
    """Names of the files stored under the folder `name`, relative to it ([] if none)."""
    target = storage()

    def walk(folder: str) -> list[str]:
        try:
            dirs, names = target.listdir(folder)
        except FileNotFoundError:
            return []
        found = [str(PurePosixPath(folder, n)) for n in names]
        for sub in dirs:
            found += walk(str(PurePosixPath(folder, sub)))
        return found

    return sorted(str(PurePosixPath(f).relative_to(name)) for f in walk(name))


def delete_bundle(name: str) -> None:
    """Delete the stored folder `name`; a name outside BUNDLE_STORE is left alone (never
    delete what the registry did not store)."""
    if not in_bundle_store(name):
        log.warning("not deleting %r: not a folder of the bundle store", name)
        return
    target = storage()
    files = stored_files(name)
    for relative in files:
        target.delete(f"{name}/{relative}")
    # Folders, deepest first: a file system storage removes them when empty; others have none.
    folders = {str(PurePosixPath(name, f).parent) for f in files} | {name}
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        if target.exists(folder):
            target.delete(folder)


def is_stored(name: str) -> bool:
    """Whether the storage holds a bundle (its manifest) under `name`."""
    return storage().exists(f"{name}/{MANIFEST}")


def in_bundle_store(name: str) -> bool:
    """Whether `name` is a folder inside BUNDLE_STORE (relative, no "..")."""
    path = PurePosixPath(name)
    store = PurePosixPath(BUNDLE_STORE)
    return (not path.is_absolute() and ".." not in path.parts
            and path.parts[:len(store.parts)] == store.parts and len(path.parts) > len(store.parts))


# Reading -----------------------------------------------------------------------------------

def read_text(name: str, checksum: str, filename: str) -> str:
    """One file of a stored bundle, from the local copy when this machine has it (configs read
    by the web process: no download of the weights for them)."""
    local = cache_root() / checksum / filename
    if checksum and local.is_file():
        return local.read_text(encoding="utf-8")
    with storage().open(f"{name}/{filename}", "rb") as handle:
        return bytes(handle.read()).decode("utf-8")


def read_json(name: str, checksum: str, filename: str) -> dict[str, Any]:
    data = json.loads(read_text(name, checksum, filename))
    if not isinstance(data, dict):
        raise ValueError(f"{filename} of {name} is not a JSON object")
    return data


def local_bundle(name: str, checksum: str) -> Path:
    """A local folder with the files of the stored bundle `name` (see the module docstring).

    Raises StoredBundleError when the storage holds no such bundle or its files do not match
    `checksum`; nothing is left in the cache then.
    """
    return _materialise(checksum, lambda tmp: _download(name, tmp))


def cache_local_copy(root: Path, checksum: str) -> Path:
    """Put the local bundle folder `root` into the cache (after storing it at registration: the
    registering process then loads it without downloading what it just uploaded)."""
    return _materialise(checksum, lambda tmp: _copy_files(root, tmp))


def forget_local_copy(checksum: str) -> None:
    """Remove this machine's cached copy of the bundle with this checksum, if any."""
    if not checksum or "/" in checksum or checksum.startswith("."):
        return
    final = cache_root() / checksum
    if not final.is_dir():
        return
    # Renamed away first: a process materialising the same bundle now never sees half a folder.
    doomed = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=cache_root()))
    try:
        os.rename(final, doomed / checksum)
    except FileNotFoundError:
        pass  # another process removed it
    shutil.rmtree(doomed, ignore_errors=True)


def _materialise(checksum: str, fill: Callable[[Path], None]) -> Path:
    """The cache folder of `checksum`, filled by `fill` (into a checked temporary folder)
    unless this machine has it already."""
    root = cache_root()
    final = root / checksum
    if final.is_dir():
        return final
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(root)
    tmp = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=root))
    try:
        fill(tmp)
        found = bundle_checksum(tmp)
        if found != checksum:
            raise StoredBundleError(f"the bundle's files have checksum {found[:12]}..., the "
                                    f"registry expects {checksum[:12]}...")
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():  # not a lost race with another process: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _download(name: str, dest: Path) -> None:
    files = stored_files(name)
    if MANIFEST not in files:
        raise StoredBundleError(f"the storage holds no bundle {name}")
    source = storage()
    for relative in files:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open(f"{name}/{relative}", "rb") as handle, target.open("wb") as out:
            for chunk in handle.chunks():
                out.write(chunk)


def _copy_files(root: Path, dest: Path) -> None:
    shutil.copytree(root, dest, dirs_exist_ok=True)


def _remove_stale_temps(root: Path) -> None:
    cutoff = time.time() - STALE_TEMP_SECONDS
    for entry in root.glob(f"{_TEMP_PREFIX}*"):
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except FileNotFoundError:
            pass


# Uploads in flight -------------------------------------------------------------------------

def save_upload(upload: IO[bytes], name: str) -> str:
    """Keep an uploaded .zip in the storage until a worker registers it; returns its name."""
    content = upload if isinstance(upload, File) else File(upload, name=PurePosixPath(name).name)
    return storage().save(name, content)


def open_upload(name: str) -> Any:
    """The stored upload, opened for reading (seekable: zipfile reads its directory first)."""
    return storage().open(name, "rb")


def delete_upload(name: str) -> None:
    if PurePosixPath(name).parent != PurePosixPath(UPLOAD_STORE):
        raise ValueError(f"{name!r} is not an upload of {UPLOAD_STORE}")
    storage().delete(name)
