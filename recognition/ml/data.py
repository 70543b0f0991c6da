"""Training data: sources -> runs -> splits -> clips -> padded batches with masks.

A *run* is a contiguous recording of one sign, (T, 543, 3) landmarks in the Holistic layout with
NaN for parts a source does not have (a hands-only source has only a hand). Single-frame sources
whose consecutive frames come from one video (SILFA, the ASL alphabet images) are merged into
runs, because those frames are near-duplicates: splits must cut runs into contiguous blocks (or
assign whole runs), never scatter frames at random, or the test set leaks into training.

Sources (load_runs' `fmt`):
- asl-npz:  the asl_alphabet_hands.npz layout (X (N, 21, 3), y, filename "frame_<k>.npy")
- gislr:    Kaggle GISLR (train.csv with path, participant_id, sequence_id, sign + parquet files)
- pose:     <root>/<sign>/*.pose (pose-format), <root>/index.csv with path,sign, or a
            sign-language lexicon's language folder (<lexicon>/<lang>, index.csv one level up)
- npz-dir:  <root>/<sign>/*.npz (landmarks.formats.npz), or <root>/index.csv with path,sign
- frames:   <root>/<sign>/<name>_<k>.jpg consecutive video frames, one recording per sign
            (MediaPipe Holistic in video mode, cached; recognition.ml.frames)
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from landmarks.formats.parquet import load_parquet
from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from recognition.ml.augment import augment_clip
from recognition.ml.config import AugmentConfig, FeatureConfig, TrainConfig
from landmarks.normalize import mirror_points
from recognition.ml.features import build_features

FORMATS = ("asl-npz", "gislr", "pose", "npz-dir", "frames")
MAX_ID_GAP = 3  # consecutive single-frame ids further apart than this start a new run


@dataclass
class Run:
    """A contiguous recording of one sign. ids: the source's id of each frame (traceability)."""

    points: np.ndarray  # (T, 543, 3) float32, NaN where absent
    label: str
    ids: tuple[str, ...]
    fps: float = 30.0
    participant: str = ""  # the signer, where the source names one (splits go by signer)
    # The split the source already decided ("train", "val" or "test"; "" = split_runs decides).
    # Corrections come split by corpus.split: whole clips, which split_runs must not cut again.
    split: str = ""
    # Draw weight per frame in training (TrainClips draws a class's runs by length x weight):
    # a retrain raises it for a few corrections, which base data would otherwise drown.
    weight: float = 1.0
    # A training-only copy of another run's frames (the same ids; e.g. re-encoded by a lossy
    # codec, train.recoded): split_runs keeps only its frames whose originals train, so no copy
    # of a held-out frame trains and no copy is scored.
    augmented: bool = False

    def __len__(self) -> int:
        return len(self.points)

    def piece(self, start: int, stop: int) -> Run:
        return dataclasses.replace(self, points=self.points[start:stop],
                                   ids=self.ids[start:stop])


def load_runs(fmt: str, path: str | Path, *, merge_frames: bool = True,
              hand_recovery: bool | None = None, recoded: tuple[str, ...] = ()) -> list[Run]:
    """Read a data set into runs; merge_frames joins consecutive single-frame samples;
    hand_recovery: how `frames` (video frames, extracted here) are read (landmarks.hands);
    recoded: landmarks.recode presets whose copies of `frames` are added (Run.augmented)."""
    if recoded and fmt != "frames":
        raise ValueError(f"recoded copies need video frames (format 'frames'), not {fmt!r}")
    loaders: dict[str, Callable[[Path, bool], list[Run]]] = {
        "asl-npz": load_asl_npz,
        "gislr": load_gislr,
        "pose": lambda p, m: _load_files(p, ".pose"),
        "npz-dir": lambda p, m: _load_files(p, ".npz"),
        "frames": lambda p, m: _load_frame_folders(p, m, hand_recovery, recoded),
    }
    if fmt not in loaders:
        raise ValueError(f"unknown data format {fmt!r}; use one of {FORMATS}")
    runs = loaders[fmt](Path(path), merge_frames)
    if not runs:
        raise ValueError(f"no samples found in {path}")
    return runs


def _load_frame_folders(root: Path, merge_frames: bool, hand_recovery: bool | None = None,
                        recoded: tuple[str, ...] = ()) -> list[Run]:
    from recognition.ml.frames import load_frame_folders  # runs MediaPipe (cached)

    return load_frame_folders(root, merge_frames, hand_recovery=hand_recovery, recoded=recoded)


def hands_only_points(hand: np.ndarray, slot: slice = RIGHT_HAND) -> np.ndarray:
    """(N, 21, 3) hand landmarks -> (N, 543, 3) with every other part absent (NaN)."""
    points = np.full((len(hand), NUM_POINTS, 3), np.nan, dtype=np.float32)
    points[:, slot] = hand
    return points


def load_asl_npz(path: Path, merge_frames: bool = True, mirror: bool = True) -> list[Run]:
    """The ASL alphabet hands: one hand per image, placed as the signer's right hand.

    Its images are selfie-mirrored relative to an unmirrored camera (checked: a classifier fit on
    them agrees with SILFA's Holistic right hands at 45% with x flipped, 12% without), so
    mirror=True flips x to reach landmarks.layout's signer's-view convention.
    """
    data = np.load(path, allow_pickle=False)
    hands = data["X"].astype(np.float32)
    if mirror:
        # In the selfie image the signer's right hand looks like a left hand; mirroring the
        # whole frame flips x and moves it to the right-hand slot.
        points = mirror_points(hands_only_points(hands, slot=LEFT_HAND))
    else:
        points = hands_only_points(hands, slot=RIGHT_HAND)
    frame_no = [int(re.sub(r"\D", "", name) or -1) for name in data["filename"]]
    samples = [(str(y), n, f"{y}/{name}") for y, n, name in
               zip(data["y"], frame_no, data["filename"], strict=True)]
    return _group_frames(points, samples, merge_frames)


def load_gislr(root: Path, merge_frames: bool = True) -> list[Run]:
    """GISLR: train.csv (path, participant_id, sequence_id, sign) beside the parquet files."""
    csv_path = root if root.suffix == ".csv" else root / "train.csv"
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    arrays, samples = [], []
    for row in rows:
        arrays.append(load_parquet(csv_path.parent / row["path"]).points)
        key = f"{row['participant_id']}/{row['sequence_id']}"
        samples.append((row["sign"], int(row["sequence_id"]), key, row["participant_id"]))
    if merge_frames and all(len(a) == 1 for a in arrays):
        order = sorted(range(len(rows)), key=lambda i: (samples[i][3], samples[i][1]))
        points = np.concatenate([arrays[i] for i in order])
        grouped = [(f"{samples[i][3]}:{samples[i][0]}", samples[i][1], samples[i][2])
                   for i in order]
        runs = _group_frames(points, grouped, True)
        for run in runs:
            run.label = run.label.split(":", 1)[1]
        return runs
    return [Run(a, s[0], (s[2],) * len(a), participant=s[3])
            for a, s in zip(arrays, samples, strict=True)]


def _group_frames(points: np.ndarray, samples: list[tuple], merge: bool) -> list[Run]:
    """Single frames (label, frame number, id) -> runs of consecutive frames of one label."""
    order = sorted(range(len(samples)), key=lambda i: (samples[i][0], samples[i][1]))
    runs: list[Run] = []
    current: list[int] = []
    for i in order:
        if current and (not merge or samples[i][0] != samples[current[-1]][0]
                        or samples[i][1] - samples[current[-1]][1] > MAX_ID_GAP):
            runs.append(Run(points[current], samples[current[0]][0],
                            tuple(samples[k][2] for k in current)))
            current = []
        current.append(i)
    if current:
        runs.append(Run(points[current], samples[current[0]][0],
                        tuple(samples[k][2] for k in current)))
    return runs


def _load_files(root: Path, suffix: str) -> list[Run]:
    """Per-clip files labelled by index.csv (path,sign), by a sign-language lexicon's index
    (see lexicon_pairs), or by their parent folder."""
    from landmarks.formats import read_landmarks

    index = root / "index.csv"
    participant = ""
    if index.is_file():
        with open(index, newline="") as handle:
            pairs = [(root / r["path"], r["sign"]) for r in csv.DictReader(handle)]
    elif (lexicon := lexicon_pairs(root)) is not None:
        pairs, participant = lexicon, f"{root.parent.name}/{root.name}"
    else:
        pairs = [(p, p.parent.name) for p in sorted(root.glob(f"*/*{suffix}"))]
    runs = []
    for file, sign in pairs:
        seq = read_landmarks(file)
        if len(seq):
            runs.append(Run(seq.points, sign, (str(file.name),) * len(seq), seq.fps,
                            participant=participant))
    return runs


def lexicon_pairs(root: Path) -> list[tuple[Path, str]] | None:
    """A spoken-to-signed-translation lexicon's language folder (<lexicon>/<lang>/*.pose, with
    <lexicon>/index.csv: path,spoken_language,signed_language,start,end,words,glosses,...):
    (file, gloss) of that language's rows, or None when root is not one. One lexicon language
    is one signer as far as splits go (the fingerspelling lexicon: one person per language)."""
    index = root.parent / "index.csv"
    if not index.is_file():
        return None
    with open(index, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"path", "signed_language", "glosses"} <= set(rows[0]):
        return None
    return [(root.parent / r["path"], r["glosses"]) for r in rows
            if r["signed_language"] == root.name]


def split_runs(runs: list[Run], cfg: TrainConfig) -> dict[str, list[Run]]:
    """Deterministic train/val/test split by contiguous blocks of runs, or by whole runs; a
    run whose source fixed its split (Run.split) goes whole to that split. Augmented copies
    (Run.augmented) keep only their frames whose originals train (by id), in contiguous pieces."""
    originals = [r for r in runs if not r.augmented]
    out = _split_free([r for r in originals if not r.split], cfg)
    for run in originals:
        if run.split:
            out.setdefault(run.split, []).append(run)
    copies = [r for r in runs if r.augmented]
    if copies:
        trained = {i for piece in out["train"] for i in piece.ids}
        out["train"] += [piece for run in copies for piece in _pieces_among(run, trained)]
    return out


def _pieces_among(run: Run, ids: set[str]) -> list[Run]:
    """The maximal contiguous pieces of `run` whose frame ids are all in `ids`."""
    pieces, start = [], None
    for k, frame_id in enumerate((*run.ids, None)):
        if frame_id is not None and frame_id in ids:
            start = k if start is None else start
        elif start is not None:
            pieces.append(run.piece(start, k))
            start = None
    return pieces


def _split_free(runs: list[Run], cfg: TrainConfig) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {"train": [], "val": [], "test": []}
    if cfg.split == "participants":
        from recognition.ml.participants import split_by_participant

        return split_by_participant(runs, cfg)
    if cfg.split == "none":  # the final model of a chosen config: every frame trains
        out["train"] = list(runs)
        return out
    if cfg.split == "sequences":
        by_label: dict[str, list[Run]] = defaultdict(list)
        for run in runs:
            by_label[run.label].append(run)
        for label_runs in by_label.values():
            for k, run in enumerate(label_runs):
                out[_block_name(k % cfg.n_blocks, cfg)].append(run)
        return out
    if cfg.split != "blocks":
        raise ValueError(f"unknown split {cfg.split!r}; use blocks, sequences, participants "
                         "or none")
    for run in runs:
        for name, pieces in block_split(len(run), cfg).items():
            out[name].extend(run.piece(a, b) for a, b in pieces if b > a)
    return out


def _block_name(block: int, cfg: TrainConfig) -> str:
    return {cfg.val_block: "val", cfg.test_block: "test"}.get(block, "train")


def block_split(n: int, cfg: TrainConfig) -> dict[str, list[tuple[int, int]]]:
    """Frame ranges [a, b) of a run of n frames for each split; training pieces keep `gap`
    frames away from held-out blocks because neighbouring frames are near-duplicates."""
    edges = np.rint(np.linspace(0, n, cfg.n_blocks + 1)).astype(int)
    out: dict[str, list[tuple[int, int]]] = {"train": [], "val": [], "test": []}
    held = {cfg.val_block, cfg.test_block}
    for k in range(cfg.n_blocks):
        a, b = int(edges[k]), int(edges[k + 1])
        if k in held:
            out[_block_name(k, cfg)].append((a, b))
            continue
        a += cfg.gap if k - 1 in held else 0
        b -= cfg.gap if k + 1 in held else 0
        out["train"].append((a, b))
    return out


class TrainClips(torch.utils.data.Dataset):
    """Random augmented clips: a uniform class, a run of it (by length x Run.weight), a random
    window."""

    def __init__(self, runs: list[Run], vocab: list[str], features: FeatureConfig,
                 augment: AugmentConfig | None, train: TrainConfig, size: int) -> None:
        self.runs, self.features, self.augment, self.train = runs, features, augment, train
        self.size = size
        self.index = {label: i for i, label in enumerate(vocab)}
        self.by_label: dict[str, list[Run]] = defaultdict(list)
        for run in runs:
            self.by_label[run.label].append(run)
        self.labels = sorted(self.by_label)
        self.rng = np.random.default_rng(train.seed)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, _: int) -> tuple[np.ndarray, int]:
        rng = self.rng
        label = self.labels[rng.integers(len(self.labels))]
        runs = self.by_label[label]
        weights = np.array([len(r) * r.weight for r in runs], dtype=float)
        run = runs[rng.choice(len(runs), p=weights / weights.sum())]
        length = int(rng.integers(self.train.clip_min, self.train.clip_max + 1))
        length = min(length, len(run))
        start = int(rng.integers(0, len(run) - length + 1))
        points = run.points[start : start + length]
        if self.augment is not None:
            points = augment_clip(points, self.augment, rng)
        return build_features(points, self.features), self.index[label]


def eval_clips(runs: list[Run], vocab: list[str], features: FeatureConfig,
               clip_len: int) -> list[tuple[np.ndarray, int]]:
    """Deterministic clips: every run cut into non-overlapping pieces of clip_len frames."""
    index = {label: i for i, label in enumerate(vocab)}
    clips = []
    for run in runs:
        if run.label not in index:
            continue
        feats = build_features(run.points, features)
        for a in range(0, len(run), clip_len):
            clips.append((feats[a : a + clip_len], index[run.label]))
    return clips


def collate(batch: list[tuple[np.ndarray, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad clips to the longest: x (B, T, F) zero-padded, mask (B, T) True on real frames, y (B,)."""
    longest = max(len(f) for f, _ in batch)
    width = batch[0][0].shape[1]
    x = torch.zeros(len(batch), longest, width)
    mask = torch.zeros(len(batch), longest, dtype=torch.bool)
    for i, (feats, _) in enumerate(batch):
        x[i, : len(feats)] = torch.from_numpy(feats)
        mask[i, : len(feats)] = True
    y = torch.tensor([label for _, label in batch], dtype=torch.long)
    return x, mask, y


def weigh_added_runs(base: list[Run], added: list[Run], share: float) -> list[Run]:
    """`added` with Run.weight set so that TrainClips draws `share` of a class's training clips
    from them, in every class that base runs have too (TrainClips draws by frames, so a few
    added clips beside a large base set would otherwise hardly be seen: a retrain's
    corrections); classes only `added` has keep weight 1."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"share must be in (0, 1), got {share}")
    base_frames: dict[str, float] = defaultdict(float)
    added_frames: dict[str, float] = defaultdict(float)
    for run in base:
        base_frames[run.label] += len(run) * run.weight
    for run in added:
        added_frames[run.label] += len(run)
    out = []
    for run in added:
        b, a = base_frames[run.label], added_frames[run.label]
        weight = share / (1.0 - share) * b / a if b and a else 1.0
        out.append(dataclasses.replace(run, weight=weight))
    return out
