"""Multi-signer data (GISLR subset + MP_Data): participant splits, aliases, whole-sign clips,
the clip-statistics baseline and k-fold cross-validation, on the real data."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from recognition.ml import crossval
from recognition.ml.baseline import ClipStatsBaseline, clip_statistics
from recognition.ml.card import cv_table
from recognition.ml.config import FeatureConfig, TrainConfig
from recognition.ml.data import Run, load_runs, split_runs
from recognition.ml.participants import (
    apply_aliases, fold_configs, load_sources, parse_aliases, participant_groups, prepare_runs,
    trim_handless)
from recognition.ml.train import complete_config
from tests.ml.recognition.conftest import tiny_config

SETS = ("gislr_asl_signs_subset", "mpdata_multi")


def index_runs(root: Path) -> list[Run]:
    """Runs of a GISLR train.csv with a one-frame placeholder each: the splits only read the
    participant ids, and these are the real ones."""
    with open(root / "train.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    blank = np.zeros((1, NUM_POINTS, 3), np.float32)
    return [Run(blank, r["sign"], (r["sequence_id"],), participant=r["participant_id"])
            for r in rows]


@pytest.fixture(scope="module")
def all_index(shared_data: Path) -> list[Run]:
    return [run for name in SETS for run in index_runs(shared_data / "isolated" / name)]


@pytest.fixture(scope="module")
def mp_runs(shared_data: Path) -> list[Run]:
    return load_runs("gislr", shared_data / "isolated" / "mpdata_multi")


def test_participant_split_never_shares_a_signer(all_index: list[Run]) -> None:
    people = {r.participant for r in all_index}
    assert len(people) == 16 + 7
    for cfg in [TrainConfig(split="participants"), *fold_configs(TrainConfig(n_blocks=4))]:
        parts = split_runs(all_index, dataclasses.replace(cfg, split="participants"))
        signers = {k: {r.participant for r in v} for k, v in parts.items()}
        assert not signers["train"] & signers["val"]
        assert not signers["train"] & signers["test"]
        assert not signers["val"] & signers["test"]
        assert set().union(*signers.values()) == people
        assert sum(map(len, parts.values())) == len(all_index)
        assert signers["test"] and signers["val"]


def test_every_signer_is_tested_in_exactly_one_fold(all_index: list[Run]) -> None:
    cfg = TrainConfig(split="participants", n_blocks=5)
    tested = [p for tcfg in fold_configs(cfg)
              for p in {r.participant for r in split_runs(all_index, tcfg)["test"]}]
    assert sorted(tested) == sorted({r.participant for r in all_index})
    groups = participant_groups(all_index, 5)
    # Both data sets land in several groups (ids sorted: GISLR's numbers, then the slugs).
    mp_groups = {g for p, g in groups.items() if not p.isdigit()}
    assert len(mp_groups) >= 4 and len(set(groups.values())) == 5


def test_without_a_validation_group_every_other_signer_trains(all_index: list[Run]) -> None:
    cfg = TrainConfig(split="participants", n_blocks=5, val_block=-1)
    people = {r.participant for r in all_index}
    folds = fold_configs(cfg)
    assert [t.val_block for t in folds] == [-1] * 5
    tested = []
    for tcfg in folds:
        parts = split_runs(all_index, tcfg)
        test = {r.participant for r in parts["test"]}
        assert not parts["val"] and {r.participant for r in parts["train"]} == people - test
        tested += sorted(test)
    assert sorted(tested) == sorted(people)
    with pytest.raises(ValueError, match="groups are"):
        split_runs(all_index, dataclasses.replace(cfg, val_block=5))


def test_split_refuses_runs_without_participants() -> None:
    runs = [Run(np.zeros((1, NUM_POINTS, 3), np.float32), "A", ("1",))] * 6
    with pytest.raises(ValueError, match="participant"):
        split_runs(runs, TrainConfig(split="participants"))


def test_thanks_is_read_as_thankyou(mp_runs: list[Run]) -> None:
    aliases = parse_aliases(["thanks=thankyou"])
    assert aliases == {"thanks": "thankyou"}
    renamed = apply_aliases(mp_runs, aliases)
    before = [r.label for r in mp_runs]
    after = [r.label for r in renamed]
    assert before.count("thanks") == after.count("thankyou") == 60
    assert "thanks" not in after and after.count("hello") == before.count("hello")
    assert [r.participant for r in renamed] == [r.participant for r in mp_runs]
    with pytest.raises(ValueError, match="FROM=TO"):
        parse_aliases(["thanks"])


def small_set(shared_data: Path, out: Path, name: str, per_sign: int) -> Path:
    """A GISLR train.csv of the first per_sign clips of each (participant, sign) of a real set
    (absolute parquet paths)."""
    root = shared_data / "isolated" / name
    with open(root / "train.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen: dict[tuple[str, str], int] = {}
    keep = []
    for row in rows:
        key = (row["participant_id"], row["sign"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= per_sign:
            keep.append({**row, "path": str(root / row["path"])})
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(keep[0]))
        writer.writeheader()
        writer.writerows(keep)
    return out


def test_loading_two_sets_keeps_their_participants(shared_data: Path, tmp_path: Path) -> None:
    mp = small_set(shared_data, tmp_path / "mp", "mpdata_multi", 1)
    gislr = small_set(shared_data, tmp_path / "gislr", "gislr_asl_signs_subset", 1)
    runs = load_sources([("gislr", str(gislr)), ("gislr", str(mp))], {"thanks": "thankyou"})
    assert {r.label for r in runs} == {"hello", "thankyou", "iloveyou"}
    assert len({r.participant for r in runs}) == 16 + 7
    with pytest.raises(ValueError, match="in both"):
        load_sources([("gislr", str(mp)), ("gislr", str(mp))])


def test_whole_clips_are_trimmed_to_the_hands_and_resampled(mp_runs: list[Run]) -> None:
    prepared = prepare_runs(mp_runs, max_frames=24)
    for before, after in zip(mp_runs, prepared, strict=True):
        assert 1 <= len(after) <= 24 and after.participant == before.participant
        hands = ~np.isnan(after.points[:, [LEFT_HAND.start, RIGHT_HAND.start], 0])
        if (~np.isnan(before.points[:, [LEFT_HAND.start, RIGHT_HAND.start], 0])).any():
            assert hands[0].any() and hands[-1].any()
    no_hands = next(r for r in mp_runs if np.isnan(r.points[:, LEFT_HAND.start, 0]).all()
                    and np.isnan(r.points[:, RIGHT_HAND.start, 0]).all())
    assert len(trim_handless(no_hands.points)) == len(no_hands)


def test_clip_statistics_baseline_on_real_clips(mp_runs: list[Run]) -> None:
    features = FeatureConfig()
    vector = clip_statistics(mp_runs[0].points, features)
    no_hands = next(r for r in mp_runs if np.isnan(r.points[:, LEFT_HAND.start, 0]).all()
                    and np.isnan(r.points[:, RIGHT_HAND.start, 0]).all())
    assert np.isfinite(clip_statistics(no_hands.points, features)).all()
    assert vector.shape == clip_statistics(no_hands.points, features).shape
    people = sorted({r.participant for r in mp_runs})
    train = [r for r in mp_runs if r.participant != people[0]]
    test = [r for r in mp_runs if r.participant == people[0]]
    metrics = ClipStatsBaseline(features, ["hello", "iloveyou", "thanks"]).fit(train).evaluate(test)
    assert metrics["n"] == len(test) and 0 <= metrics["top1"] <= 1
    assert np.array(metrics["confusion"]).sum() == len(test)


def test_cross_validation_covers_every_signer_and_resumes(
        mp_runs: list[Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tiny_config(velocity=True)
    cfg = dataclasses.replace(base, aliases={"thanks": "thankyou"}, train=dataclasses.replace(
        base.train, split="participants", n_blocks=3, val_block=1, test_block=2, epochs=1,
        steps_per_epoch=2, clip_min=8, clip_max=8, eval_clip_lens=(8,), whole_clips=True,
        baseline="clip-stats"))
    runs = prepare_runs(apply_aliases(mp_runs, cfg.aliases), 8)
    vocab = sorted({r.label for r in runs})
    cfg = complete_config(cfg, vocab)
    variants = [(False, True)]
    result = crossval.cross_validate(cfg, runs, vocab, variants, cache_dir=tmp_path,
                                     log=lambda _: None)
    tested = [p for fold in result["folds"] for p in fold["test_participants"]]
    assert sorted(tested) == sorted({r.participant for r in runs})
    pooled = result["pooled"]
    assert pooled["baseline"]["n"] == len(runs)
    name = crossval.variant_name(variants[0])
    correct = sum(f["variants"][name]["correct"] for f in result["folds"])
    assert pooled[name]["top1"] == round(correct / len(runs), 4)
    for fold in result["folds"]:  # every test signer's own top-1, model and baseline
        for row in (fold["variants"][name], fold["baseline"]):
            people = row["per_participant"]
            assert sorted(people) == fold["test_participants"]
            assert sum(v["n"] for v in people.values()) == row["n"]
            assert round(sum(v["top1"] * v["n"] for v in people.values())) == row["correct"]
    signers = [line for line in cv_table(result) if line.startswith("| ")]
    for person in tested:  # the card's per-signer table has each test signer once
        assert sum(line.startswith(f"| {person} | ") for line in signers) == 1
    own = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, cross_modal=False))
    assert crossval.cached_folds(own, runs, vocab, tmp_path) == [0, 1, 2]
    assert crossval.cached_folds(cfg, runs, vocab, tmp_path) == []  # another variant's key

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached fold was trained again")

    monkeypatch.setattr("recognition.ml.train.fit", no_training)
    again = crossval.cross_validate(cfg, runs, vocab, variants, cache_dir=tmp_path,
                                    log=lambda _: None)
    assert again["pooled"] == pooled
