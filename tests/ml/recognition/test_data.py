"""Loaders (GISLR, npz-dir, .pose, asl-npz), block splits without leakage, collation, augment."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from landmarks.formats.npz import save_npz
from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from landmarks.sequence import LandmarkSequence
from recognition.ml.augment import augment_clip, drop_frames, resample_time, rotate_scale_shift
from recognition.ml.config import AugmentConfig, TrainConfig
from recognition.ml.data import Run, block_split, collate, load_runs, split_runs


def test_silfa_frames_merge_into_runs_per_letter(silfa_runs: list[Run]) -> None:
    assert sum(len(r) for r in silfa_runs) == 558
    assert len({r.label for r in silfa_runs}) == 24 and not {"J", "Z"} & {r.label for r in
                                                                           silfa_runs}
    c = [r for r in silfa_runs if r.label == "C"]
    assert len(c) == 1 and c[0].ids[0] == "100/1080" and c[0].ids[-1] == "100/1115"
    assert c[0].points.shape == (36, NUM_POINTS, 3)


@pytest.mark.parametrize("n", [1, 3, 8, 36, 404])
def test_block_split_is_disjoint_and_keeps_gaps(n: int) -> None:
    cfg = TrainConfig(n_blocks=5, val_block=1, test_block=3, gap=1)
    pieces = block_split(n, cfg)
    frames = {name: {i for a, b in ranges for i in range(a, b)} for name, ranges in pieces.items()}
    assert not frames["train"] & frames["val"] and not frames["train"] & frames["test"]
    assert not frames["val"] & frames["test"]
    held = frames["val"] | frames["test"]
    assert all(abs(i - j) > cfg.gap for i in frames["train"] for j in held)
    assert frames["train"] | held <= set(range(n))


def test_silfa_split_never_shares_or_neighbours_a_frame(silfa_runs: list[Run]) -> None:
    splits = split_runs(silfa_runs, TrainConfig())
    number = {name: {(r.label, int(i.split("/")[1])) for r in runs for i in r.ids}
              for name, runs in splits.items()}
    assert all(number.values())
    held = number["val"] | number["test"]
    assert not number["train"] & held
    gaps = [abs(a - b) for la, a in number["train"] for lb, b in held if la == lb]
    assert min(gaps) >= 2  # one frame left out next to every held-out block
    assert {r.label for r in splits["test"]} == {r.label for r in silfa_runs}


def test_sequence_split_assigns_whole_runs(silfa_runs: list[Run]) -> None:
    splits = split_runs(silfa_runs, TrainConfig(split="sequences", n_blocks=2, val_block=1,
                                                test_block=5))
    ids = [set(r.ids) for name in ("train", "val") for r in splits[name]]
    assert sum(len(s) for s in ids) == 558 and not splits["test"]


def test_npz_dir_and_index_csv(tmp_path: Path, silfa_runs: list[Run]) -> None:
    for label in ("B", "C"):
        run = next(r for r in silfa_runs if r.label == label)
        (tmp_path / label).mkdir()
        save_npz(LandmarkSequence.from_points(run.points[:5], fps=25), tmp_path / label / "a.npz")
    runs = load_runs("npz-dir", tmp_path)
    assert sorted(r.label for r in runs) == ["B", "C"] and all(len(r) == 5 for r in runs)
    (tmp_path / "index.csv").write_text("path,sign\nB/a.npz,HELLO\n")
    assert [(r.label, r.fps) for r in load_runs("npz-dir", tmp_path)] == [("HELLO", 25.0)]


def test_pose_files(tmp_path: Path, shared_data: Path) -> None:
    source = sorted((shared_data / "poses" / "s2s_dummy_lexicon_sgg").rglob("*.pose"))[0]
    (tmp_path / "WORD").mkdir()
    shutil.copy(source, tmp_path / "WORD" / source.name)
    (run,) = load_runs("pose", tmp_path)
    assert run.label == "WORD" and run.points.shape[1:] == (NUM_POINTS, 3) and len(run) > 1


def test_collate_pads_and_masks() -> None:
    x, mask, y = collate([(np.ones((3, 4), np.float32), 2), (np.ones((1, 4), np.float32), 0)])
    assert x.shape == (2, 3, 4) and y.tolist() == [2, 0]
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert x[1, 1:].abs().sum() == 0


def test_temporal_augmentations() -> None:
    clip = np.arange(10, dtype=np.float32)[:, None, None] * np.ones((1, NUM_POINTS, 3))
    assert len(resample_time(clip, 2.0)) == 5 and len(resample_time(clip, 0.5)) == 20
    assert len(resample_time(clip[:1], 0.5)) == 2  # T=1 becomes a (still) short clip
    rng = np.random.default_rng(0)
    assert all(len(drop_frames(clip, 0.99, rng)) >= 1 for _ in range(20))
    np.testing.assert_allclose(rotate_scale_shift(clip, 0.0, (1.0, 1.0), (0.0, 0.0)), clip)


def test_augment_keeps_absent_parts_absent_and_mirror_swaps_hands(silfa_runs: list[Run]) -> None:
    points = next(r for r in silfa_runs if r.label == "V").points[:4].copy()
    points[:, LEFT_HAND] = np.nan  # only the right hand was seen
    rng = np.random.default_rng(0)
    kept = augment_clip(points, AugmentConfig(mirror=0.0, frame_drop=0.0), rng)
    assert np.isnan(kept[:, LEFT_HAND]).all() and not np.isnan(kept[:, RIGHT_HAND]).any()
    flipped = augment_clip(points, AugmentConfig(mirror=1.0, frame_drop=0.0), rng)
    assert np.isnan(flipped[:, RIGHT_HAND]).all() and not np.isnan(flipped[:, LEFT_HAND]).any()
    # Mirroring moves the hand to the other side of the image.
    assert np.sign(flipped[:, LEFT_HAND, 0].mean() - 0.5) != np.sign(
        points[:, RIGHT_HAND, 0].mean() - 0.5)
