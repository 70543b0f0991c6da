"""Kaggle GISLR parquet <-> LandmarkSequence.

One row per (frame, landmark): columns frame, row_id ("{frame}-{type}-{landmark_index}"), type
(face, left_hand, pose, right_hand), landmark_index, x, y, z; missing parts are rows of NaN.
Rows are placed by (`type`, `landmark_index`), never by position: Kaggle writes each frame as
face, left_hand, pose, right_hand, whereas the SILFA files write pose, face, left_hand, right_hand.
We write Kaggle's order. GISLR carries no fps or timestamps: `fps` (default 30) is assumed on
reading and frame numbers are kept in meta["frame_numbers"].
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from landmarks.layout import NUM_POINTS, PARTS
from landmarks.sequence import LandmarkSequence

KAGGLE_TYPE_ORDER = ("face", "left_hand", "pose", "right_hand")
COLUMNS = ("frame", "row_id", "type", "landmark_index", "x", "y", "z")


def frame_to_points(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """GISLR rows -> (frame numbers (T,), points (T, 543, 3)), placed by type and index."""
    missing = {"frame", "type", "landmark_index", "x", "y", "z"} - set(rows.columns)
    if missing:
        raise ValueError(f"not a GISLR landmark table: missing columns {sorted(missing)}")
    unknown = set(rows["type"].unique()) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown landmark types {sorted(unknown)}")
    offsets = rows["type"].map({name: sl.start for name, sl in PARTS.items()}).to_numpy()
    index = rows["landmark_index"].to_numpy().astype(np.int64)
    sizes = rows["type"].map({name: sl.stop - sl.start for name, sl in PARTS.items()}).to_numpy()
    if (index < 0).any() or (index >= sizes).any():
        raise ValueError("landmark_index out of range for its type")
    frame_numbers, frame_rows = np.unique(rows["frame"].to_numpy(), return_inverse=True)
    points = np.full((len(frame_numbers), NUM_POINTS, 3), np.nan, dtype=np.float32)
    points[frame_rows, offsets + index] = rows[["x", "y", "z"]].to_numpy(dtype=np.float32)
    return frame_numbers, points


def load_parquet(path: str | os.PathLike[str], fps: float = 30.0) -> LandmarkSequence:
    """Read a GISLR landmark parquet file (any row order)."""
    rows = pd.read_parquet(path, columns=["frame", "type", "landmark_index", "x", "y", "z"])
    frame_numbers, points = frame_to_points(rows)
    timestamps = (frame_numbers - frame_numbers[:1].min(initial=0)) / fps
    sequence = LandmarkSequence.from_points(points, fps=fps, timestamps=timestamps)
    sequence.meta["frame_numbers"] = frame_numbers.tolist()
    return sequence


def sequence_to_frame(sequence: LandmarkSequence) -> pd.DataFrame:
    """A sequence as GISLR rows in Kaggle's order (face, left_hand, pose, right_hand per frame)."""
    frame_numbers = np.asarray(sequence.meta.get("frame_numbers") or np.arange(len(sequence)))
    if len(frame_numbers) != len(sequence):
        frame_numbers = np.arange(len(sequence))
    order = np.concatenate([np.arange(PARTS[t].start, PARTS[t].stop) for t in KAGGLE_TYPE_ORDER])
    types = np.concatenate([[t] * (PARTS[t].stop - PARTS[t].start) for t in KAGGLE_TYPE_ORDER])
    indices = np.concatenate([np.arange(PARTS[t].stop - PARTS[t].start) for t in KAGGLE_TYPE_ORDER])
    frames = np.repeat(frame_numbers.astype(np.int64), NUM_POINTS)
    tiled_types = np.tile(types, len(sequence))
    tiled_indices = np.tile(indices, len(sequence))
    xyz = sequence.points[:, order].reshape(-1, 3).astype(np.float64)
    return pd.DataFrame(
        {
            "frame": frames,
            "row_id": [f"{f}-{t}-{i}" for f, t, i in zip(frames, tiled_types, tiled_indices)],
            "type": tiled_types,
            "landmark_index": tiled_indices.astype(np.int64),
            "x": xyz[:, 0],
            "y": xyz[:, 1],
            "z": xyz[:, 2],
        },
        columns=list(COLUMNS),
    )


def save_parquet(sequence: LandmarkSequence, path: str | os.PathLike[str]) -> None:
    """Write a sequence as a GISLR parquet file (NaN rows for missing parts, as Kaggle does)."""
    sequence_to_frame(sequence).to_parquet(path, index=False)


def iter_gislr_dataset(
    root: str | os.PathLike[str], csv_name: str = "train.csv", fps: float = 30.0
):
    """Yield (sequence, sign, participant_id) for each row of a GISLR-style train.csv under root."""
    from pathlib import Path

    root = Path(root)
    index = pd.read_csv(root / csv_name)
    for row in index.itertuples(index=False):
        yield load_parquet(root / row.path, fps=fps), str(row.sign), int(row.participant_id)
