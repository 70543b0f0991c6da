"""Loaders (GISLR, npz-dir, .pose, asl-npz), block splits without leakage, collation, augment."""

from __future__ import annotations

import dataclasses
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


def test_a_run_with_a_fixed_split_stays_whole_in_it(silfa_runs: list[Run]) -> None:
    """Corrections come split by corpus.split: a short clip cut into blocks would lose every
    frame to the gaps beside the held-out blocks (12 frames -> no training frame at all)."""
    import dataclasses

    cfg = TrainConfig(n_blocks=5, val_block=1, test_block=3, gap=2)
    short = dataclasses.replace(silfa_runs[0].piece(0, 12), split="train")
    assert block_split(12, cfg)["train"] == [(0, 0), (7, 5), (12, 12)]  # what blocks would keep
    dev = dataclasses.replace(silfa_runs[1].piece(0, 12), split="val")
    out = split_runs([*silfa_runs, short, dev], cfg)
    assert [r for r in out["train"] if r.split] == [short]
    assert [r for r in out["val"] if r.split] == [dev]
    assert not [r for r in out["test"] if r.split]
    free = split_runs(silfa_runs, cfg)
    assert {k: len(v) for k, v in free.items()} == {
        k: len([r for r in v if not r.split]) for k, v in out.items()}


@pytest.mark.parametrize("split", ["blocks", "sequences", "none"])
def test_augmented_copies_train_only_where_their_frames_train(silfa_runs: list[Run],
                                                              split: str) -> None:
    cfg = TrainConfig(split=split, n_blocks=5, val_block=1, test_block=3, gap=1)
    copies = [dataclasses.replace(r, points=r.points + 0.01, augmented=True)
              for r in reversed(silfa_runs)]  # another order: copies go by id, not position
    out = split_runs([*silfa_runs, *copies], cfg)
    plain = split_runs(silfa_runs, cfg)
    for name in ("val", "test"):  # no copy is ever scored
        assert [r.ids for r in out.get(name, [])] == [r.ids for r in plain.get(name, [])]
    trained = sorted(i for r in plain["train"] for i in r.ids)
    copied = [r for r in out["train"] if r.augmented]
    assert sorted(i for r in copied for i in r.ids) == trained  # each training frame once more
    for piece in copied:  # contiguous pieces of the copy, with the copy's own points
        (original,) = [r for r in silfa_runs if piece.ids[0] in r.ids]
        start = original.ids.index(piece.ids[0])
        assert original.ids[start:start + len(piece)] == piece.ids
        np.testing.assert_allclose(piece.points, original.points[start:start + len(piece)] + 0.01)


def test_recoded_frames_come_as_augmented_copies(shared_data: Path, tmp_path: Path) -> None:
    from recognition.ml.frames import load_frame_folders

    (tmp_path / "B").mkdir()
    for source in sorted((shared_data / "video" / "silfa_frames" / "B").glob("frame_*.jpg"))[:6]:
        shutil.copy(source, tmp_path / "B" / source.name)
    runs = load_frame_folders(tmp_path, cache_dir=None, recoded=("mpeg4-300k",))
    assert [(r.label, r.augmented) for r in runs] == [("B", False), ("B", True)]
    assert runs[0].ids == runs[1].ids
    both = ~np.isnan(runs[0].points) & ~np.isnan(runs[1].points)
    assert both.any() and not np.array_equal(runs[0].points[both], runs[1].points[both])
    with pytest.raises(ValueError, match="video frames"):
        load_runs("gislr", tmp_path, recoded=("mpeg4-300k",))


def test_added_runs_get_their_share_of_a_class_draws(silfa_runs: list[Run]) -> None:
    """A few added clips (a retrain's corrections) beside a long base run of the same class:
    drawn by frames alone they would be a few percent of the class's clips; weighed, `share`."""
    import dataclasses

    from recognition.ml.config import FeatureConfig
    from recognition.ml.data import TrainClips, weigh_added_runs
    from recognition.ml.features import build_features

    base = [r for r in silfa_runs if r.label in ("A", "B")]
    other = next(r for r in silfa_runs if r.label == "C")  # frames no base run has
    added = [dataclasses.replace(other.piece(k, k + 2), label=label)
             for k, label in ((0, "A"), (10, "B"))]
    weighed = weigh_added_runs(base, added, 0.5)
    assert all(r.weight > 1 for r in weighed) and [r.label for r in weighed] == ["A", "B"]
    features = FeatureConfig(parts=("right_hand",))
    added_rows = np.concatenate([build_features(r.points, features) for r in added])

    def added_share(runs: list[Run]) -> float:
        clips = TrainClips(base + runs, ["A", "B"], features, None,
                           TrainConfig(clip_min=1, clip_max=1), size=600)
        drawn = [clips[i][0][0] for i in range(len(clips))]  # one frame per clip
        return float(np.mean([np.isclose(added_rows, row).all(axis=1).any() for row in drawn]))

    assert added_share(added) < 0.15
    assert 0.4 < added_share(weighed) < 0.6
    with pytest.raises(ValueError):
        weigh_added_runs(base, added, 1.0)


@pytest.fixture(scope="module")
def s2s_runs(shared_data: Path) -> list[Run]:
    return load_runs("pose", shared_data / "poses" / "s2s_fingerspelling_lexicon" / "ase")


def test_lexicon_language_folder_reads_that_language_by_gloss(s2s_runs: list[Run]) -> None:
    # index.csv one level up names every language's clips; only ase's are read, labelled by gloss
    assert [r.label for r in s2s_runs] == [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    assert {r.participant for r in s2s_runs} == {"s2s_fingerspelling_lexicon/ase"}
    assert all(r.fps == 25.0 and r.points.shape[1:] == (NUM_POINTS, 3) for r in s2s_runs)


def test_s2s_signer_is_a_right_hander_in_the_signers_view(s2s_runs: list[Run]) -> None:
    # Holistic's convention (landmarks.layout): an unmirrored camera, so the signer's right
    # shoulder and right hand are on the image's left. The lexicon signs with the right hand only.
    from landmarks.layout import LEFT_SHOULDER, RIGHT_SHOULDER

    for run in s2s_runs:
        p = run.points
        assert np.isnan(p[:, LEFT_HAND]).all() and not np.isnan(p[:, RIGHT_HAND]).any()
        assert np.nanmean(p[:, RIGHT_SHOULDER, 0]) < np.nanmean(p[:, LEFT_SHOULDER, 0])
        assert np.nanmean(p[:, RIGHT_HAND.start, 0]) < np.nanmean(p[:, LEFT_SHOULDER, 0])


def test_asl_alphabet_agrees_with_s2s_hands_as_right_hands_in_a_16_9_frame(
        shared_data: Path, s2s_runs: list[Run]) -> None:
    """The ASL alphabet hands (mirrored by the loader) agree with the s2s signer's right hands
    as they are, not with them mirrored in place, and better once s2s's square frame is
    sampled like a 16:9 image (x * 9/16): the hands' image-normalised x depends on the camera's
    aspect ratio (what the `aspect` augmentation models)."""
    from sklearn.neighbors import NearestCentroid  # a linear probe that fits in milliseconds

    from landmarks.normalize import normalize_hand
    from recognition.ml.augment import flip_chirality, stretch_x
    from recognition.ml.data import load_asl_npz

    def hands(runs: list[Run]) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate([normalize_hand(r.points[:, RIGHT_HAND])[..., :2] for r in runs])
        return x.reshape(len(x), -1), np.concatenate([[r.label] * len(r) for r in runs])

    asl = load_asl_npz(shared_data / "isolated" / "asl_alphabet_hands" / "asl_alphabet_hands.npz")
    probe = NearestCentroid().fit(*hands(asl))
    static = [r for r in s2s_runs if r.label not in ("J", "Z")]

    def agreement(runs: list[Run]) -> float:
        x, y = hands(runs)
        return float((probe.predict(x) == y).mean())

    as_is = agreement(static)
    in_place = agreement([dataclasses.replace(r, points=flip_chirality(r.points)) for r in static])
    wide = agreement([dataclasses.replace(r, points=stretch_x(r.points, 9 / 16)) for r in static])
    assert as_is > in_place + 0.2
    assert wide > as_is + 0.05  # measured 0.669 vs 0.587 (as is); in place far lower
