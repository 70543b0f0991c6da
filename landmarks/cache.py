"""Content-addressed cache of extracted landmarks.

Key = sha256 of (video sha256, extractor settings incl. EXTRACTOR_VERSION), so the same upload
seen twice, or a re-run after switching the recognition model, never runs MediaPipe again, while a
new extractor version or another model_complexity gets its own entry. Entries are npz files named
"ab/<key>.npz" in an EntryStore (a local folder here; the web app's Django storage in jobs.files),
written atomically (in a folder: temporary file + os.replace): readers never see half a file, and
two workers racing on one video both end with a complete entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol

from landmarks.formats.npz import load_npz, save_npz
from landmarks.sequence import LandmarkSequence

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(video_sha256: str, settings: dict[str, Any]) -> str:
    """Stable key for (video content, extractor settings); settings are JSON-canonicalised."""
    payload = json.dumps({"video": video_sha256, "settings": settings}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class EntryStore(Protocol):
    """Where cache entries live, by relative name ("ab/<key>.npz").

    DirectoryStore is a local folder; the web app adapts Django's STORAGES (jobs.files), so an
    object store works too without this package knowing Django.
    """

    def local_file(self, name: str) -> AbstractContextManager[Path]:
        """A local path holding the entry's bytes (FileNotFoundError when absent)."""
        ...

    def write(self, name: str, write: Callable[[Path], None]) -> str:
        """Store what `write(path)` puts in a local file as `name`, readers never seeing half of
        it; returns the name stored."""
        ...

    def delete(self, name: str) -> None: ...


class DirectoryStore:
    """Entries as files under a local folder, written atomically (temp file + os.replace)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @contextmanager
    def local_file(self, name: str) -> Iterator[Path]:
        yield self.root / name

    def write(self, name: str, write: Callable[[Path], None]) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        os.close(fd)
        try:
            write(Path(temporary))
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return name

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)


class LandmarkCache:
    """Landmark sequences, one npz per key named "ab/<key>.npz" in `store` (a folder or an
    EntryStore)."""

    def __init__(self, store: EntryStore | str | os.PathLike[str]) -> None:
        self.store: EntryStore = (
            DirectoryStore(store) if isinstance(store, str | os.PathLike) else store
        )

    @staticmethod
    def name_for(key: str) -> str:
        return f"{key[:2]}/{key}.npz"

    def get(self, key: str) -> LandmarkSequence | None:
        """The cached sequence, or None when absent or unreadable (a damaged entry is dropped)."""
        name = self.name_for(key)
        try:
            with self.store.local_file(name) as path:
                return load_npz(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            self.store.delete(name)
            return None

    def put(self, key: str, sequence: LandmarkSequence) -> str:
        """Store `sequence` under `key` atomically; returns the entry's name in the store."""
        return self.store.write(self.name_for(key), lambda path: save_npz(sequence, path))


# A video file, or a callable opening one as a local path (e.g. a download from object storage),
# called only on a cache miss so that a hit reads no video at all.
VideoSource = str | os.PathLike[str] | Callable[[], AbstractContextManager[Path]]


def _open_video(video: VideoSource) -> AbstractContextManager[Path]:
    return video() if callable(video) else nullcontext(Path(video))


def extract_cached(
    video: VideoSource,
    cache: LandmarkCache,
    *,
    model_complexity: int = 1,
    progress: Any = None,
    video_sha256: str | None = None,
    on_chunk: Any = None,
    chunk_seconds: float = 2.0,
    sample_fps: float | None = None,
    hand_recovery: bool | None = None,
    workers: int = 1,
    helpers_allowed: Callable[[], int] | None = None,
) -> LandmarkSequence:
    """extract_landmarks, answered from `cache` when this video and these settings were seen.

    With `workers` > 1 a miss is read by up to that many processes (landmarks.parallel, same
    result; `helpers_allowed` as there). meta["cache"] is "hit" or "miss", meta["cache_name"]
    the entry's name in the cache's store. On a hit, progress (if given) is called once with
    (T, T).
    """
    from landmarks import extract
    from landmarks.parallel import extract_landmarks_parallel

    if video_sha256 is None:
        with _open_video(video) as path:
            video_sha256 = file_sha256(path)
    key = cache_key(video_sha256,
                    extract.extractor_settings(model_complexity, sample_fps, hand_recovery))
    sequence = cache.get(key)
    if sequence is not None:
        if progress is not None:
            progress(len(sequence), len(sequence))
        sequence.meta["cache"] = "hit"
        sequence.meta["cache_name"] = cache.name_for(key)
        return sequence
    # A hit has every frame at once; only a real extraction streams chunks (on_chunk).
    with _open_video(video) as path:
        sequence = extract_landmarks_parallel(
            path, workers=workers, model_complexity=model_complexity, progress=progress,
            on_chunk=on_chunk, chunk_seconds=chunk_seconds, sample_fps=sample_fps,
            hand_recovery=hand_recovery, helpers_allowed=helpers_allowed,
        )
    sequence.meta["video_sha256"] = video_sha256
    sequence.meta["cache_name"] = cache.put(key, sequence)
    sequence.meta["cache"] = "miss"
    return sequence
