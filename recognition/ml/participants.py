"""Multi-signer data: several GISLR-layout folders, label aliases, splits by participant.

A model that is to work for people it has never seen must be measured on people it has never
seen: when a data set names its signers (GISLR's participant_id, MP_Data's repository slug), every
split here assigns whole people to a part, never frames or sequences of one person.

Participants are sorted by id and dealt round robin into `n_blocks` groups, so each group is fixed
by the data alone (no random state) and both data sets are spread over the groups when they are
loaded together. `split_by_participant` holds out group `test_block` for test and `val_block` for
validation; `fold_configs` gives the k-fold variants (each group the test group once; fold
`test_block` is the fixed split itself).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from recognition.ml.augment import resample_time
from recognition.ml.config import IsolatedConfig, TrainConfig
from recognition.ml.data import Run, load_runs


def parse_aliases(specs: Iterable[str]) -> dict[str, str]:
    """["thanks=thankyou", ...] -> {"thanks": "thankyou"}; a malformed spec is an error."""
    out: dict[str, str] = {}
    for spec in specs:
        source, sep, target = spec.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ValueError(f"alias {spec!r} is not FROM=TO")
        out[source.strip()] = target.strip()
    return out


def apply_aliases(runs: list[Run], aliases: dict[str, str]) -> list[Run]:
    """Runs with each label replaced by its alias (labels without one are kept)."""
    return [dataclasses.replace(r, label=aliases.get(r.label, r.label)) for r in runs]


def load_sources(sources: list[tuple[str, str]], aliases: dict[str, str] | None = None
                 ) -> list[Run]:
    """Runs of several (format, path) data sets together, with aliases applied.

    Participant ids must not collide between sets: two sets naming the same id would merge two
    people (or the same person twice) into one signer, so that is an error, not a guess."""
    runs: list[Run] = []
    owner: dict[str, int] = {}
    for k, (fmt, path) in enumerate(sources):
        loaded = load_runs(fmt, path)
        for person in {r.participant for r in loaded if r.participant}:
            if owner.setdefault(person, k) != k:
                raise ValueError(f"participant {person!r} is in both "
                                 f"{sources[owner[person]][1]} and {path}")
        runs.extend(loaded)
    return apply_aliases(runs, aliases or {})


def trim_handless(points: np.ndarray) -> np.ndarray:
    """Drop the frames before the first and after the last frame with a hand (GISLR clips
    start and end with the signer at rest); a clip with no hand at all is kept whole."""
    hands = ~np.isnan(points[:, LEFT_HAND.start, 0]) | ~np.isnan(points[:, RIGHT_HAND.start, 0])
    found = np.flatnonzero(hands)
    if not len(found):
        return points
    return points[found[0] : found[-1] + 1]


def prepare_runs(runs: list[Run], max_frames: int) -> list[Run]:
    """Whole-sign clips: hand-less ends trimmed, longer clips resampled to max_frames."""
    out = []
    for run in runs:
        points = trim_handless(run.points)
        if len(points) > max_frames:
            points = resample_time(points, len(points) / max_frames)
        ids = (run.ids[0],) * len(points)
        out.append(dataclasses.replace(run, points=points, ids=ids))
    return out


def participant_groups(runs: list[Run], n_groups: int) -> dict[str, int]:
    """Participant id -> group 0..n_groups-1 (sorted ids dealt round robin)."""
    people = sorted({r.participant for r in runs})
    if "" in people:
        raise ValueError("a participant split needs every run's participant (GISLR layout)")
    if len(people) < n_groups:
        raise ValueError(f"{len(people)} participants cannot fill {n_groups} groups")
    return {person: k % n_groups for k, person in enumerate(people)}


def split_by_participant(runs: list[Run], cfg: TrainConfig) -> dict[str, list[Run]]:
    """train/val/test by whole participants: group test_block is test, val_block validation."""
    if cfg.val_block == cfg.test_block:
        raise ValueError("val_block and test_block must be different groups")
    if not -1 <= cfg.val_block < cfg.n_blocks or not 0 <= cfg.test_block < cfg.n_blocks:
        raise ValueError(f"groups are 0..{cfg.n_blocks - 1} (val_block -1: no validation)")
    groups = participant_groups(runs, cfg.n_blocks)
    out: dict[str, list[Run]] = {"train": [], "val": [], "test": []}
    names = {cfg.val_block: "val", cfg.test_block: "test"}
    for run in runs:
        out[names.get(groups[run.participant], "train")].append(run)
    return out


def fold_configs(cfg: TrainConfig) -> list[TrainConfig]:
    """k-fold by participant: fold k tests group k and validates on the group as far from it
    as cfg's validation group is from its test group, so fold cfg.test_block is cfg's split."""
    n, offset = cfg.n_blocks, cfg.val_block - cfg.test_block
    if cfg.val_block < 0:  # no validation group: every fold trains on all other groups
        return [dataclasses.replace(cfg, test_block=k) for k in range(n)]
    return [dataclasses.replace(cfg, test_block=k, val_block=(k + offset) % n) for k in range(n)]


def participants_of(runs: list[Run]) -> dict[str, list[str]]:
    """Sorted participant ids of each label (for cards and checks)."""
    out: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        out[run.label].add(run.participant)
    return {label: sorted(people) for label, people in sorted(out.items())}


def prepare_for_config(runs: list[Run], cfg: IsolatedConfig) -> list[Run]:
    """What a bundle's config says to do to loaded runs, in training and evaluation alike:
    its label aliases, then (whole_clips) trimming and resampling to model.max_frames."""
    runs = apply_aliases(runs, cfg.aliases)
    return prepare_runs(runs, cfg.model.max_frames) if cfg.train.whole_clips else runs
