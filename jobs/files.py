"""The app's files through Django's STORAGES API (issue 11, item 6).

Uploaded videos live in the "default" storage ("videos/ab/<sha256>.mp4"), extracted landmarks in
the "landmarks" storage ("ab/<key>.npz", the landmark cache's names). The database holds only
these relative names, so the same rows work on a local folder or an S3-compatible bucket
(settings: slrweb/settings/storage.py). Code that needs a real file (PyAV, MediaPipe, numpy)
asks `local_file` for one: the file itself on a file system storage, a temporary download on
any other.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from landmarks.cache import DirectoryStore

log = logging.getLogger(__name__)

LANDMARKS = "landmarks"
_CHUNK = 1 << 20


def video_storage() -> Storage:
    return storages["default"]


def landmark_storage() -> Storage:
    return storages[LANDMARKS]


def _local_path(storage: Storage, name: str) -> Path | None:
    """The file's own path when `storage` keeps files in a local folder, else None.

    Only FileSystemStorage says so: other backends' `path()` may answer with a path that holds
    nothing (InMemoryStorage does)."""
    if Path(name).is_absolute():
        # A name from before storages (an absolute path the migration could not place).
        raise FileNotFoundError(f"{name} is not a name in the storage")
    return Path(storage.path(name)) if isinstance(storage, FileSystemStorage) else None


@contextmanager
def local_file(storage: Storage, name: str) -> Iterator[Path]:
    """A local path with the bytes of `name` for as long as the block runs.

    The stored file itself on a file system storage; otherwise a temporary copy (same suffix,
    so decoders can tell the container) that is deleted afterwards. Missing: FileNotFoundError.
    """
    local = _local_path(storage, name)
    if local is not None:
        yield local
        return
    fd, temporary = tempfile.mkstemp(
        suffix=PurePosixPath(name).suffix, dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    try:
        with os.fdopen(fd, "wb") as out, storage.open(name, "rb") as source:
            shutil.copyfileobj(source, out, _CHUNK)
        yield Path(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)


def local_video(video: Any) -> AbstractContextManager[Path]:
    """`local_file` of a jobs.models.Video."""
    return local_file(video_storage(), video.file)


def delete_file(storage: Storage, name: str) -> None:
    """Delete `name` when it is a storage name (legacy absolute paths are left alone)."""
    if not name:
        return
    if Path(name).is_absolute():
        log.warning("not deleting %s: not a storage name", name)
        return
    storage.delete(name)


class _SpooledFile(File):  # type: ignore[type-arg]
    """A local file handed to Storage.save: FileSystemStorage moves it into place (a rename,
    atomic on one file system) instead of copying it to the final name chunk by chunk."""

    def __init__(self, handle: Any, path: Path) -> None:
        super().__init__(handle, name=path.name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def save_local(storage: Storage, name: str, path: Path) -> str:
    """Store the local file `path` as `name`; returns the name the storage gave it (another
    when a racing writer took `name` first on a storage that does not overwrite)."""
    with open(path, "rb") as handle:
        return storage.save(name, _SpooledFile(handle, path))


class StorageEntries:
    """landmarks.cache.EntryStore on a Django storage (the landmark cache's entries)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def local_file(self, name: str) -> AbstractContextManager[Path]:
        return local_file(self.storage, name)

    def write(self, name: str, write: Callable[[Path], None]) -> str:
        if isinstance(self.storage, FileSystemStorage):  # temp file + os.replace, as in a folder
            return DirectoryStore(self.storage.location).write(name, write)
        if self.storage.exists(name):  # content-addressed: another worker wrote the same entry
            return name
        fd, temporary = tempfile.mkstemp(suffix=".npz", dir=settings.FILE_UPLOAD_TEMP_DIR)
        os.close(fd)
        try:
            write(Path(temporary))
            return save_local(self.storage, name, Path(temporary))
        finally:
            Path(temporary).unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        delete_file(self.storage, name)


def landmark_entries() -> StorageEntries:
    return StorageEntries(landmark_storage())


def read_landmarks(name: str) -> Any:
    """The LandmarkSequence stored as `name` in the landmarks storage (FileNotFoundError)."""
    from landmarks.formats.npz import load_npz

    with local_file(landmark_storage(), name) as path:
        return load_npz(path)


class LandmarkFileSystemStorage(FileSystemStorage):
    """The "landmarks" storage on the file system: SLRWEB_LANDMARK_CACHE when set, else
    MEDIA_ROOT/landmarks; read when first used and again after either setting changes (tests)."""

    @cached_property
    def base_location(self) -> str:
        root = settings.SLRWEB_LANDMARK_CACHE or Path(settings.MEDIA_ROOT) / "landmarks"
        return str(self._value_or_setting(self._location, root))  # type: ignore[attr-defined]

    def _clear_cached_properties(self, setting: str, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)  # type: ignore[arg-type]
        if setting in {"MEDIA_ROOT", "SLRWEB_LANDMARK_CACHE"}:
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

