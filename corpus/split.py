"""The one split of the corrections corpus: every clip is train, dev or held-out, forever.

Every export (`slrweb export-dataset`), every retrain and every evaluation on held-out
corrections asks `split_of`; nothing else hashes clips into buckets.

The key is the clip's video sha256 (`split_key`), not the job id: the same bytes uploaded twice
become two jobs sharing one stored video, and keyed by job they could land on both sides of the
split (trained on and evaluated on). One sha256 maps to one uniform number u in [0, 1):

    u < HELD_OUT_SHARE                    held_out  (evaluation only, never training data)
    u < HELD_OUT_SHARE + dev_share        dev       (model selection during training)
    otherwise                             train

The held-out share is a constant, not a parameter: changing it would move clips that past
candidates were evaluated on into training. The dev share may differ between exports (it only
moves clips between train and dev); held-out membership never depends on it.

Pure Python: no Django, so the ML side (bench scripts, the trainers) can use it too.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

Split = Literal["train", "dev", "held_out"]
HELD_OUT_SHARE = 0.2  # one clip in five, as the registry evaluated on before this module
DEV_SHARE = 0.1
SPLITS: tuple[Split, ...] = ("train", "dev", "held_out")


def bucket(key: str) -> float:
    """A uniform, stable number in [0, 1) for a key (the first 64 bits of its sha256)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(key: str, dev_share: float = DEV_SHARE) -> Split:
    """The split of the clip with this key (see the module docstring for the layout)."""
    if not 0.0 <= dev_share < 1.0 - HELD_OUT_SHARE:
        raise ValueError(f"dev_share must be in [0, {1.0 - HELD_OUT_SHARE:g}), got {dev_share}")
    u = bucket(key)
    if u < HELD_OUT_SHARE:
        return "held_out"
    return "dev" if u < HELD_OUT_SHARE + dev_share else "train"


def is_held_out(key: str) -> bool:
    """Whether the clip with this key is kept for evaluation (and out of every training set)."""
    return split_of(key) == "held_out"


def split_key(job: Any) -> str:
    """The split key of a job: its video's sha256 (duplicate uploads share it); a
    landmarks-only job's stored landmarks name (content-addressed the same way)."""
    if job.video is None:
        return str(job.landmarks_file)
    return str(job.video.sha256)
