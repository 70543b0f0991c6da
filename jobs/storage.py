"""Content-addressed storage of uploaded videos: no partial file is ever left behind.

An upload is spooled to a local temporary file while it is hashed (and probed there); only a
file that becomes a job is saved in the "default" storage, named by its hash (jobs.files).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from jobs import files

VIDEO_DIR = "videos"


class UploadTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class SpooledUpload:
    sha256: str
    name: str  # its name in the video storage: videos/ab/<sha256><suffix>
    size: int
    path: Path  # the local temporary file


def _spool_dir() -> str | None:
    """Next to the stored videos on a file system storage (so saving is a rename), else the
    upload temp folder."""
    storage = files.video_storage()
    if isinstance(storage, FileSystemStorage):
        folder = Path(storage.path(VIDEO_DIR))
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    return settings.FILE_UPLOAD_TEMP_DIR


@contextmanager
def spool_upload(chunks: Iterable[bytes], suffix: str, max_bytes: int) -> Iterator[SpooledUpload]:
    """Stream chunks to a local temp file while hashing; the file is gone when the block ends.

    Raises UploadTooLarge as soon as max_bytes is exceeded.
    """
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=_spool_dir(), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(
                        f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB."
                    )
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        name = f"{VIDEO_DIR}/{sha[:2]}/{sha}{suffix.lower()}"
        yield SpooledUpload(sha256=sha, name=name, size=size, path=Path(tmp_name))
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def save_video(upload: SpooledUpload, name: str | None = None) -> tuple[str, bool]:
    """Store the spooled file under `name` (default: its content name): (stored name, whether
    this call wrote it). Bytes already stored under that name are kept as they are."""
    storage = files.video_storage()
    name = name or upload.name
    if storage.exists(name):
        return name, False
    return files.save_local(storage, name, upload.path), True


def delete_stored(name: str) -> None:
    files.delete_file(files.video_storage(), name)


def safe_suffix(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    return suffix if suffix in {".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v"} else ".bin"
