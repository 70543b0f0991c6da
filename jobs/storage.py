"""Content-addressed storage of uploaded videos: no partial file is ever left behind."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

VIDEO_DIR = "videos"


class UploadTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relative_path: str
    size: int

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.relative_path


def store_upload(chunks: Iterable[bytes], suffix: str, max_bytes: int) -> StoredFile:
    """Stream chunks to a temp file while hashing, then move it under its hash atomically.

    Raises UploadTooLarge (and deletes the temp file) as soon as max_bytes is exceeded.
    """
    root = Path(settings.MEDIA_ROOT) / VIDEO_DIR
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=root, suffix=".part")
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
        rel = f"{VIDEO_DIR}/{sha[:2]}/{sha}{suffix.lower()}"
        final = Path(settings.MEDIA_ROOT) / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, final)
        return StoredFile(sha256=sha, relative_path=rel, size=size)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def delete_stored(relative_path: str) -> None:
    if relative_path:
        (Path(settings.MEDIA_ROOT) / relative_path).unlink(missing_ok=True)


def safe_suffix(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    return suffix if suffix in {".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v"} else ".bin"
