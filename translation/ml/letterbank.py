"""Real single-letter handshapes for synthetic fingerspelling: banks split by frame order.

ASL alphabet hands (MediaPipe Hands, mirrored into the signer's view) and SILFA Holistic right
hands, each letter kept in recording order so that a held letter can replay consecutive real
frames; the last block of each letter's frames is held out (consecutive frames are
near-duplicates, so a random split would leak them into the test set).
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from landmarks.normalize import ASL_ALPHABET_IS_MIRRORED, normalize_hand

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Run source of the SILFA letter videos read back with MediaPipe (load_letter_banks `video`).
VIDEO = "silfa-video"
VIDEO_FPS = 30.0  # the rate those letter videos are encoded (and read) at

# Share of each SILFA letter's recording (the last frames, a contiguous block) kept out of
# training: consecutive frames are near-duplicates, so a random split would leak them. Larger
# than the word hold-out so that the real held-out frames can make whole test videos.
SILFA_HELDOUT_FRACTION = 0.4


@dataclass
class LetterBank:
    """Wrist-relative, palm-size-normalised right handshapes per letter, and resting hands.

    Shapes of a letter are kept in recording order, split into runs (one per recording), so a
    held letter can replay consecutive real frames with their natural small movements.
    """

    shapes: dict[str, list[np.ndarray]] = field(default_factory=dict)  # letter -> [(21, 3)]
    runs: dict[str, list[int]] = field(default_factory=dict)  # letter -> first index of each run
    rest: list[np.ndarray] = field(default_factory=list)  # other hand at rest, image coords
    sources: dict[str, list[str]] = field(default_factory=dict)  # letter -> source of each run

    def add(self, letter: str, hand: np.ndarray, new_run: bool = False,
            source: str = "") -> None:
        shapes = self.shapes.setdefault(letter, [])
        starts = self.runs.setdefault(letter, [])
        if new_run or not starts:
            starts.append(len(shapes))
            self.sources.setdefault(letter, []).append(source)
        shapes.append(normalize_hand(hand).astype(np.float32))

    def has_source(self, letter: str, source: str) -> bool:
        return source in self.sources.get(letter, [])

    def letters(self) -> str:
        return "".join(sorted(self.shapes))

    def _run(self, letter: str, rng: random.Random, source: str | None) -> tuple[int, int]:
        """[lo, hi) of one run of `letter`, from `source` when it has one (else any run)."""
        starts, names = self.runs[letter], self.sources.get(letter, [])
        ks = [k for k, name in enumerate(names) if name == source] if source is not None else []
        k = rng.choice(ks) if ks else rng.randrange(len(starts))
        return starts[k], (starts[k + 1] if k + 1 < len(starts) else len(self.shapes[letter]))

    def clip(self, letter: str, frames: int, rng: random.Random, source: str,
             stride: int = 1) -> list[np.ndarray]:
        """Up to `frames` shapes of one `source` run played straight through (every `stride`-th
        frame, from a random start; at most to the run's end), as a real letter clip is."""
        lo, hi = self._run(letter, rng, source)
        span = min(frames * stride, hi - lo)
        start = rng.randrange(lo, hi - span + 1)
        return self.shapes[letter][start : start + span : stride]

    def hold(self, letter: str, frames: int, rng: random.Random,
             source: str | None = None) -> list[np.ndarray]:
        """`frames` consecutive shapes of one recording of `letter` (stride 1-2, turning back at
        the ends of the run). Each recording (signer) is picked equally often, however many
        frames it has: SILFA's few hundred would otherwise drown in ASL alphabet's thousands.
        `source`: a run of that source when the letter has one."""
        shapes = self.shapes[letter]
        lo, hi = self._run(letter, rng, source)
        j = rng.randrange(lo, hi)
        step = rng.choice((1, 1, 2)) * rng.choice((1, -1))
        out = []
        for _ in range(frames):
            out.append(shapes[j])
            if not lo <= j + step < hi:
                step = -step
            j = min(max(j + step, lo), hi - 1)
        return out


@dataclass(frozen=True)
class SilfaSample:
    """One SILFA frame: its letter, sequence id, hands (image coords, None if missing), split."""

    letter: str
    sequence_id: int
    right: np.ndarray | None
    left: np.ndarray | None
    heldout: bool


@functools.lru_cache(maxsize=4)
def silfa_samples(root: str | Path,
                  heldout_fraction: float = SILFA_HELDOUT_FRACTION) -> dict[str, list[SilfaSample]]:
    """SILFA's samples per letter in recording (sequence id) order; the last `heldout_fraction`
    of each letter is held out. Cached: the bench maps video frames to these samples."""
    import pandas as pd

    from landmarks.formats.parquet import load_parquet

    root = Path(root)
    index = pd.read_csv(root / "train.csv").sort_values("sequence_id")
    out: dict[str, list[SilfaSample]] = {}
    for letter, rows in index.groupby(index["sign"].str.upper(), sort=True):
        cut = int(round(len(rows) * (1 - heldout_fraction)))
        for rank, row in enumerate(rows.itertuples(index=False)):
            frame = load_parquet(root / str(row.path)).points[0]

            def hand(part: slice, frame: np.ndarray = frame) -> np.ndarray | None:
                return None if np.isnan(frame[part]).any() else frame[part].copy()

            out.setdefault(str(letter), []).append(SilfaSample(
                str(letter), int(row.sequence_id), hand(RIGHT_HAND), hand(LEFT_HAND), rank >= cut))
    return out


def load_letter_banks(isolated_dir: str | Path, heldout_fraction: float,
                      seed: int = 0, video: str | Path | None = None,
                      all_silfa: bool = False) -> tuple[LetterBank, LetterBank]:
    """(train, held-out) banks from asl_alphabet_hands/ and silfa_fingerspelling/.

    Both sources are consecutive video frames, so each letter is split by frame order (the last
    block is held out: `heldout_fraction` of ASL alphabet, SILFA_HELDOUT_FRACTION of SILFA)
    rather than at random, which would leak near-duplicates. `seed` is unused (kept for callers).
    `video`: also the SILFA letter videos as MediaPipe reads them (add_video_letters).
    `all_silfa`: every SILFA frame (samples and video) trains, held-out ones too (the final
    retrain of a shipped bundle; the held-out bank still holds the held-out ones).
    """
    root = Path(isolated_dir)
    train, test = LetterBank(), LetterBank()
    with np.load(root / "asl_alphabet_hands" / "asl_alphabet_hands.npz") as asl:
        # Read each array once: NpzFile decompresses on every item access.
        hands, labels, names = asl["X"], asl["y"], asl["filename"]
    frame_no = np.array([int(re.sub(r"\D", "", str(f)) or 0) for f in names])
    for letter in LETTERS:
        idx = np.flatnonzero(labels == letter)
        idx = idx[np.argsort(frame_no[idx], kind="stable")]
        cut = int(round(len(idx) * (1 - heldout_fraction)))
        for bank, part in ((train, idx[:cut]), (test, idx[cut:])):
            for n, i in enumerate(part):
                hand = hands[i].copy()
                # MediaPipe Hands on a selfie-style image: mirror into the signer's view, where
                # the dominant hand is a right hand on an unmirrored camera (SILFA's Holistic).
                if ASL_ALPHABET_IS_MIRRORED:
                    hand[:, 0] = 1.0 - hand[:, 0]
                bank.add(letter, hand, new_run=n == 0)
    for letter, silfa in silfa_samples(str(root / "silfa_fingerspelling")).items():
        for bank, held in ((train, False), (test, True)):
            group = [x for x in silfa if x.heldout == held or (all_silfa and bank is train)]
            rights = [x.right for x in group if x.right is not None]
            for n, right in enumerate(rights):
                bank.add(letter, right, new_run=n == 0)  # Holistic right hand: as it is
            bank.rest.extend(x.left for x in group if x.left is not None)
    if video is not None:
        add_video_letters(train, test, video, all_silfa)
    return train, test


def add_video_letters(train: LetterBank, test: LetterBank, path: str | Path,
                      all_frames: bool = False) -> None:
    """One VIDEO run per letter from `path`: an npz (bench/fingerspelling_clips.py
    --write-letters) of each SILFA letter video as MediaPipe Holistic reads it ("A": (T, 543, 3)
    points at VIDEO_FPS) and where its held-out block starts ("A_heldout": the first held-out
    frame, the block the real-clip bench spells with). Frames before it train (all of them with
    `all_frames`), the block goes to the held-out bank; frames without a right hand are skipped."""
    with np.load(path) as data:
        for letter in LETTERS:
            if letter not in data:
                continue
            points, cut = data[letter], int(data[f"{letter}_heldout"])
            for bank, part in ((train, points if all_frames else points[:cut]),
                               (test, points[cut:])):
                hands = [h for h in part[:, RIGHT_HAND] if not np.isnan(h).any()]
                for n, hand in enumerate(hands):
                    bank.add(letter, hand, new_run=n == 0, source=VIDEO)
