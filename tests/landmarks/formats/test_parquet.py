"""GISLR parquet on the real SILFA files: rows are placed by type and landmark_index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landmarks.formats.parquet import (
    KAGGLE_TYPE_ORDER,
    iter_gislr_dataset,
    load_parquet,
    save_parquet,
)
from landmarks.layout import PARTS
from landmarks.sequence import LandmarkSequence


@pytest.fixture(scope="module")
def silfa_root(shared_data: Path) -> Path:
    return shared_data / "isolated" / "silfa_fingerspelling"


@pytest.fixture(scope="module")
def silfa_files(silfa_root: Path) -> list[Path]:
    index = pd.read_csv(silfa_root / "train.csv")
    return [silfa_root / p for p in index["path"].iloc[::60]]  # 10 files over the 24 letters


def test_silfa_row_order_differs_from_kaggle(silfa_files: list[Path]) -> None:
    types = pd.read_parquet(silfa_files[0])["type"].drop_duplicates().tolist()
    assert types == ["pose", "face", "left_hand", "right_hand"]
    assert types != list(KAGGLE_TYPE_ORDER)


def test_values_land_on_their_named_landmark(silfa_files: list[Path]) -> None:
    for path in silfa_files:
        rows = pd.read_parquet(path)
        seq = load_parquet(path)
        for row in rows.sample(40, random_state=0).itertuples():
            got = seq.points[0, PARTS[row.type].start + row.landmark_index]
            np.testing.assert_allclose(got, [row.x, row.y, row.z], rtol=1e-6)


def test_row_order_does_not_matter(silfa_files: list[Path], tmp_path: Path) -> None:
    rows = pd.read_parquet(silfa_files[1])
    rows.sample(frac=1.0, random_state=1).to_parquet(tmp_path / "shuffled.parquet")
    a, b = load_parquet(silfa_files[1]), load_parquet(tmp_path / "shuffled.parquet")
    np.testing.assert_array_equal(a.points, b.points)


def test_round_trip_writes_kaggle_order(silfa_files: list[Path], tmp_path: Path) -> None:
    seq = load_parquet(silfa_files[2])
    save_parquet(seq, tmp_path / "out.parquet")
    written = pd.read_parquet(tmp_path / "out.parquet")
    assert written["type"].drop_duplicates().tolist() == list(KAGGLE_TYPE_ORDER)
    assert written["row_id"].iloc[0] == f"{seq.meta['frame_numbers'][0]}-face-0"
    np.testing.assert_array_equal(load_parquet(tmp_path / "out.parquet").points, seq.points)


def test_multi_frame_round_trip_keeps_nan_parts(
    pose_test_sequence: LandmarkSequence, tmp_path: Path
) -> None:
    save_parquet(pose_test_sequence, tmp_path / "video.parquet")
    rows = pd.read_parquet(tmp_path / "video.parquet")
    assert len(rows) == 58 * 543
    again = load_parquet(tmp_path / "video.parquet")
    np.testing.assert_array_equal(again.points, pose_test_sequence.points)
    np.testing.assert_array_equal(again.presence, pose_test_sequence.presence)


def test_dataset_iterator_reads_labels(silfa_root: Path) -> None:
    first = next(iter_gislr_dataset(silfa_root))
    seq, sign, participant = first
    assert len(seq) == 1 and sign == "A" and participant == 100


def test_bad_table_is_refused(tmp_path: Path) -> None:
    pd.DataFrame({"frame": [0], "type": ["tail"], "landmark_index": [0], "x": [0.0],
                  "y": [0.0], "z": [0.0]}).to_parquet(tmp_path / "bad.parquet")  # fmt: skip
    with pytest.raises(ValueError, match="unknown landmark types"):
        load_parquet(tmp_path / "bad.parquet")
