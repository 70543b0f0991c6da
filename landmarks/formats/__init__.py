"""Landmark file formats: npz (our storage), .pose (pose-format), GISLR parquet.

`read_landmarks(path)` / `write_landmarks(sequence, path)` pick the format from the suffix.
"""

from __future__ import annotations

import os
from pathlib import Path

from landmarks.formats.npz import load_npz, save_npz
from landmarks.sequence import LandmarkSequence

SUFFIXES = (".npz", ".pose", ".parquet")

__all__ = ["SUFFIXES", "load_npz", "read_landmarks", "save_npz", "write_landmarks"]


def _suffix(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"unknown landmark format {suffix!r}; use one of {', '.join(SUFFIXES)}")
    return suffix


def read_landmarks(path: str | os.PathLike[str]) -> LandmarkSequence:
    """Load a landmark file in any supported format."""
    suffix = _suffix(path)
    if suffix == ".npz":
        return load_npz(path)
    if suffix == ".pose":
        from landmarks.formats.pose import load_pose

        return load_pose(path)
    from landmarks.formats.parquet import load_parquet

    return load_parquet(path)


def write_landmarks(sequence: LandmarkSequence, path: str | os.PathLike[str]) -> None:
    """Save a sequence in the format named by the path's suffix."""
    suffix = _suffix(path)
    if suffix == ".npz":
        save_npz(sequence, path)
    elif suffix == ".pose":
        from landmarks.formats.pose import save_pose

        save_pose(sequence, path)
    else:
        from landmarks.formats.parquet import save_parquet

        save_parquet(sequence, path)
