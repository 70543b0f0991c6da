"""Content-addressed cache of extracted landmarks.

Key = sha256 of (video sha256, extractor settings incl. EXTRACTOR_VERSION), so the same upload
seen twice, or a re-run after switching the recognition model, never runs MediaPipe again, while a
new extractor version or another model_complexity gets its own entry. Entries are npz files written
atomically (temporary file in the same folder + os.replace): readers never see half a file, and
two workers racing on one video both end with a complete entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

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


class LandmarkCache:
    """Landmark sequences on disk under `root`, one npz per key (root/ab/<key>.npz)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> LandmarkSequence | None:
        """The cached sequence, or None when absent or unreadable (a damaged entry is dropped)."""
        path = self.path_for(key)
        try:
            return load_npz(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)
            return None

    def put(self, key: str, sequence: LandmarkSequence) -> Path:
        """Store `sequence` under `key` atomically; returns the entry's path."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        os.close(fd)
        try:
            save_npz(sequence, temporary)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return path


def extract_cached(
    path: str | os.PathLike[str],
    cache: LandmarkCache,
    *,
    model_complexity: int = 1,
    progress: Any = None,
    video_sha256: str | None = None,
    on_chunk: Any = None,
    sample_fps: float | None = None,
) -> LandmarkSequence:
    """extract_landmarks, answered from `cache` when this video and these settings were seen.

    meta["cache"] is "hit" or "miss", meta["cache_path"] the entry's file. On a hit, progress (if
    given) is called once with (T, T).
    """
    from landmarks import extract

    sha = video_sha256 or file_sha256(path)
    key = cache_key(sha, extract.extractor_settings(model_complexity, sample_fps))
    sequence = cache.get(key)
    if sequence is not None:
        if progress is not None:
            progress(len(sequence), len(sequence))
        sequence.meta["cache"] = "hit"
        sequence.meta["cache_path"] = str(cache.path_for(key))
        return sequence
    # A hit has every frame at once; only a real extraction streams chunks (on_chunk).
    sequence = extract.extract_landmarks(path, model_complexity=model_complexity, progress=progress,
                                         on_chunk=on_chunk, sample_fps=sample_fps)
    sequence.meta["video_sha256"] = sha
    sequence.meta["cache_path"] = str(cache.put(key, sequence))
    sequence.meta["cache"] = "miss"
    return sequence
