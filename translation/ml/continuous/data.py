"""RWTH-BOSTON-104 hand tracks (Udacity AIND-Recognizer copy): sentences, signers, word segments.

Read from ../shared/data/continuous/boston104_handtracks (see its README): per-frame pixel
positions of the speaker's right and left hand and of the nose, a speaker per video and inclusive
word segments. A sentence is its video's words sorted by start frame. The database's own split
(161 train / 40 test videos) comes from which words file a video's words are in.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# NCSLGR/BOSTON videos run at 30 frames per second (the RWTH-BOSTON papers, Dreuw et al. 2007);
# the tracks carry no timing of their own. 78 frames for 4.4 signs a sentence on average gives
# 1.7 signs per second at 30 fps, the usual ASL rate.
BOSTON_FPS = 30.0
SPEAKERS = ("man-1", "woman-1", "woman-2")


@dataclass(frozen=True)
class Word:
    gloss: str
    start: int  # first frame (inclusive)
    end: int  # last frame (inclusive)


@dataclass
class Sentence:
    """One BOSTON video: tracks (T, 3, 2) = [right hand, left hand, nose] x (x, y) pixels."""

    video: int
    speaker: str
    split: str  # "train" | "test" (the database's sentence split)
    tracks: np.ndarray
    words: list[Word] = field(default_factory=list)

    @property
    def glosses(self) -> list[str]:
        return [w.gloss for w in self.words]

    def __len__(self) -> int:
        return int(self.tracks.shape[0])


def _read_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="") as handle:
        yield from csv.DictReader(handle)


def _read_tracks(path: Path) -> dict[int, np.ndarray]:
    """video -> (T, 3, 2) float32; frames must be 0..T-1 without gaps."""
    frames: dict[int, list[tuple[int, list[float]]]] = {}
    for row in _read_rows(path):
        values = [float(row[k]) for k in ("right-x", "right-y", "left-x", "left-y",
                                          "nose-x", "nose-y")]
        frames.setdefault(int(row["video"]), []).append((int(row["frame"]), values))
    tracks = {}
    for video, rows in frames.items():
        rows.sort()
        if [f for f, _ in rows] != list(range(len(rows))):
            raise ValueError(f"video {video}: frame numbers are not 0..{len(rows) - 1}")
        tracks[video] = np.asarray([v for _, v in rows], dtype=np.float32).reshape(-1, 3, 2)
    return tracks


def load_boston(root: str | Path) -> list[Sentence]:
    """Every sentence of the database, ordered by video number."""
    root = Path(root)
    tracks = _read_tracks(root / "hands_condensed.csv")
    speakers = {int(r["video"]): r["speaker"] for r in _read_rows(root / "speaker.csv")}
    sentences: dict[int, Sentence] = {}
    for split in ("train", "test"):
        for row in _read_rows(root / f"{split}_words.csv"):
            video = int(row["video"])
            if video not in sentences:
                sentences[video] = Sentence(video, speakers[video], split, tracks[video])
            elif sentences[video].split != split:
                raise ValueError(f"video {video} is in both the train and the test words")
            sentences[video].words.append(
                Word(row["word"], int(row["startframe"]), int(row["endframe"])))
    for sentence in sentences.values():
        sentence.words.sort(key=lambda w: (w.start, w.end))
    return [sentences[v] for v in sorted(sentences)]


@dataclass(frozen=True)
class Fold:
    """One evaluation protocol: a name, training sentences and test sentences."""

    name: str
    train: list[Sentence]
    test: list[Sentence]


def evaluation_folds(sentences: Sequence[Sentence]) -> list[Fold]:
    """The database's sentence split, then train-on-two-signers / test-on-the-third (x3)."""
    folds = [Fold("database split",
                  [s for s in sentences if s.split == "train"],
                  [s for s in sentences if s.split == "test"])]
    for speaker in SPEAKERS:
        folds.append(Fold(f"test signer {speaker}",
                          [s for s in sentences if s.speaker != speaker],
                          [s for s in sentences if s.speaker == speaker]))
    return folds


def dev_split(sentences: Sequence[Sentence], fraction: float, seed: int
              ) -> tuple[list[Sentence], list[Sentence]]:
    """(train, dev): a seeded random `fraction` of the training sentences held out for choices."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sentences))
    n_dev = max(1, int(round(fraction * len(sentences)))) if fraction > 0 else 0
    dev_idx = set(order[:n_dev].tolist())
    train = [s for i, s in enumerate(sentences) if i not in dev_idx]
    return train, [s for i, s in enumerate(sentences) if i in dev_idx]
