"""Continuous fingerspelling assembled from real single-letter landmark samples.

No continuous fingerspelling corpus can be had here, so words are spelled by chaining real
handshapes: for each letter a recorded sample (ASL alphabet hands, mirrored into our signer's-
view convention, and SILFA Holistic right hands) is held for a jittered time, and consecutive
letters are joined by interpolated transition frames (eased, with a small hop for double
letters). Tempo, hand size, position, in-plane rotation, camera aspect, landmark noise and
missed detections vary per word; a resting other hand (real SILFA left hands) appears at times,
and some words are mirrored into a left-handed signer. Letter samples and words are split into
train and held-out parts, so the held-out CER is measured on unseen words and unseen samples.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from landmarks.normalize import ASL_ALPHABET_IS_MIRRORED, mirror_points, normalize_hand
from translation.ml.data import Example
from translation.ml.evaluate import evaluate_examples
from translation.ml.features import FEATURE_DIM, FEATURE_SET, hand_features
from translation.ml.model import Translator
from translation.ml.pipeline import PreparedData, tokenizer_for
from translation.ml.tokenizer import GlossVocab, TextTokenizer
from translation.ml.wordlist import WORDS

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class LetterBank:
    """Wrist-relative, palm-size-normalised right handshapes per letter, and resting hands."""

    shapes: dict[str, list[np.ndarray]] = field(default_factory=dict)  # letter -> [(21, 3)]
    rest: list[np.ndarray] = field(default_factory=list)  # other hand at rest, image coords

    def add(self, letter: str, hand: np.ndarray) -> None:
        self.shapes.setdefault(letter, []).append(normalize_hand(hand).astype(np.float32))

    def letters(self) -> str:
        return "".join(sorted(self.shapes))


def load_letter_banks(isolated_dir: str | Path, heldout_fraction: float,
                      seed: int = 0) -> tuple[LetterBank, LetterBank]:
    """(train, held-out) banks from asl_alphabet_hands/ and silfa_fingerspelling/.

    ASL alphabet samples are consecutive video frames, so each letter is split by frame number
    (the last block is held out) rather than at random, which would leak near-duplicates.
    """
    root = Path(isolated_dir)
    train, test = LetterBank(), LetterBank()
    with np.load(root / "asl_alphabet_hands" / "asl_alphabet_hands.npz") as asl:
        # Read each array once: NpzFile decompresses on every item access.
        hands, labels, names = asl["X"], asl["y"], asl["filename"]
    frame_no = np.array([int(re.sub(r"\D", "", str(f)) or 0) for f in names])
    for letter in LETTERS:
        idx = np.flatnonzero(labels == letter)
        idx = idx[np.argsort(frame_no[idx])]
        cut = int(round(len(idx) * (1 - heldout_fraction)))
        for bank, part in ((train, idx[:cut]), (test, idx[cut:])):
            for i in part:
                hand = hands[i].copy()
                if ASL_ALPHABET_IS_MIRRORED:
                    hand[:, 0] = 1.0 - hand[:, 0]
                bank.add(letter, hand)
    _add_silfa(root / "silfa_fingerspelling", train, test, heldout_fraction, seed)
    return train, test


def _add_silfa(root: Path, train: LetterBank, test: LetterBank, heldout_fraction: float,
               seed: int) -> None:
    from landmarks.formats.parquet import iter_gislr_dataset

    rng = random.Random(seed)
    for seq, sign, _participant in iter_gislr_dataset(root):
        bank = test if rng.random() < heldout_fraction else train
        for frame in seq.points:
            if not np.isnan(frame[RIGHT_HAND]).any():
                bank.add(sign.upper(), frame[RIGHT_HAND])
            if not np.isnan(frame[LEFT_HAND]).any():
                bank.rest.append(frame[LEFT_HAND].copy())


@dataclass(frozen=True)
class SynthesisConfig:
    """Ranges the synthetic sequences are drawn from (seconds unless stated)."""

    fps: tuple[float, ...] = (25.0, 30.0)
    hold: tuple[float, float] = (0.12, 0.40)  # one letter held still
    transition: tuple[float, float] = (0.05, 0.16)  # moving from one letter to the next
    lead: tuple[float, float] = (0.0, 0.4)  # hand raising before / lowering after the word
    tempo: tuple[float, float] = (0.7, 1.5)  # per-word speed factor on holds and transitions
    palm_size: tuple[float, float] = (0.04, 0.09)  # image units
    rotation_deg: float = 15.0  # per word, in-plane
    aspect: tuple[float, float] = (0.75, 1.35)  # x stretch: camera aspect / hand orientation
    noise: float = 0.05  # per-frame landmark jitter, in palm sizes
    miss_prob: float = 0.04  # frames where the tracker lost the hand
    rest_hand_prob: float = 0.5
    left_handed_prob: float = 0.25


def _letter_frames(rng: random.Random, cfg: SynthesisConfig, fps: float, tempo: float,
                   span: tuple[float, float]) -> int:
    return max(1, round(rng.uniform(*span) * tempo * fps))


def _ease(n: int) -> np.ndarray:
    """n interior interpolation weights of a smoothstep from 0 to 1 (excluding both ends)."""
    t = np.arange(1, n + 1) / (n + 1)
    return t * t * (3 - 2 * t)


def _pose_track(word: str, bank: LetterBank, rng: random.Random, cfg: SynthesisConfig,
                fps: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-frame normalised shapes (21, 3) and hand offsets (2,) in palm units."""
    tempo = rng.uniform(*cfg.tempo)
    shapes: list[np.ndarray] = []
    offsets: list[np.ndarray] = []
    drift = np.array([rng.uniform(-0.08, 0.08), rng.uniform(-0.03, 0.03)])
    prev_shape: np.ndarray | None = None
    prev_off: np.ndarray = np.zeros(2)
    for i, letter in enumerate(word):
        shape = rng.choice(bank.shapes[letter])
        off = drift * i
        if prev_shape is not None:
            n = _letter_frames(rng, cfg, fps, tempo, cfg.transition)
            hop = np.array([0.35, -0.1]) if letter == word[i - 1] else np.zeros(2)
            for w in _ease(n):
                shapes.append((1 - w) * prev_shape + w * shape)
                offsets.append((1 - w) * prev_off + w * off + hop * np.sin(np.pi * w))
        for _ in range(_letter_frames(rng, cfg, fps, tempo, cfg.hold)):
            shapes.append(shape)
            offsets.append(off)
        prev_shape, prev_off = shape, off
    return shapes, offsets


def synthesize_word(word: str, bank: LetterBank, rng: random.Random,
                    cfg: SynthesisConfig = SynthesisConfig()) -> tuple[np.ndarray, float]:
    """Landmarks of `word` (A-Z letters) spelled continuously: ((T, 543, 3) NaN-missing, fps)."""
    fps = rng.choice(cfg.fps)
    shapes, offsets = _pose_track(word.upper(), bank, rng, cfg, fps)
    lead_in = _letter_frames(rng, cfg, fps, 1.0, cfg.lead) - 1
    lead_out = _letter_frames(rng, cfg, fps, 1.0, cfg.lead) - 1
    t = len(shapes) + lead_in + lead_out
    nprng = np.random.default_rng(rng.getrandbits(32))
    angle = np.deg2rad(rng.uniform(-cfg.rotation_deg, cfg.rotation_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    stretch = np.array([rng.uniform(*cfg.aspect), 1.0])
    palm = rng.uniform(*cfg.palm_size)
    anchor = np.array([rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.55)])
    hand = np.stack(shapes).copy()  # (T', 21, 3) palm units
    hand += nprng.normal(0.0, cfg.noise, hand.shape)
    hand[..., :2] = (hand[..., :2] + np.stack(offsets)[:, None]) @ rot.T * stretch
    hand = hand * palm
    hand[..., :2] += anchor
    points = np.full((t, NUM_POINTS, 3), np.nan, dtype=np.float32)
    points[lead_in : lead_in + len(hand), RIGHT_HAND] = hand
    missed = nprng.random(t) < cfg.miss_prob
    points[missed, RIGHT_HAND] = np.nan
    if bank.rest and rng.random() < cfg.rest_hand_prob:
        rest = rng.choice(bank.rest)
        points[:, LEFT_HAND] = rest + nprng.normal(0.0, 0.002, (t, 21, 3))
    if rng.random() < cfg.left_handed_prob:
        points = mirror_points(points)
    return points.astype(np.float32), fps


def spellable(word: str, letters: str = LETTERS) -> str:
    """Upper-case A-Z form of a word, or '' when it has other characters."""
    up = word.strip().upper()
    return up if up and all(c in letters for c in up) else ""


def split_words(words: Sequence[str], heldout_fraction: float,
                seed: int = 0) -> tuple[list[str], list[str]]:
    """(train, held-out) word lists; held-out words are never used in training."""
    unique = sorted({w.strip().lower() for w in words if spellable(w)})
    random.Random(seed).shuffle(unique)
    cut = int(round(len(unique) * heldout_fraction))
    return sorted(unique[cut:]), sorted(unique[:cut])


def make_examples(words: Sequence[str], bank: LetterBank, tokenizer: TextTokenizer,
                  vocab: GlossVocab, count: int, seed: int,
                  cfg: SynthesisConfig = SynthesisConfig()) -> list[Example]:
    """`count` synthetic sequences cycling through `words`: features, text ids, letter ids."""
    rng = random.Random(seed)
    order = list(words)
    out = []
    for i in range(count):
        if i % len(order) == 0:
            rng.shuffle(order)
        word = order[i % len(order)]
        points, _fps = synthesize_word(word, bank, rng, cfg)
        out.append(Example(src=hand_features(points), tgt=tokenizer.encode(word),
                           ctc=vocab.encode(list(word.upper())), text=word))
    return out


def _read_words(path: str | None) -> list[str]:
    if not path:
        return list(WORDS)
    return Path(path).read_text(encoding="utf-8").split()


def _splits(args: argparse.Namespace, bank_letters: str) -> dict[str, list[str]]:
    """train / dev (early stopping) / test (reported CER) words, disjoint."""
    words = [w for w in _read_words(args.words) if spellable(w, bank_letters)]
    rest, test = split_words(words, args.heldout_fraction, seed=0)
    train, dev = split_words(rest, args.heldout_fraction, seed=1)
    return {"train": train, "dev": dev, "test": test}


def heldout_examples(args: argparse.Namespace, tokenizer: TextTokenizer,
                     vocab: GlossVocab) -> list[Example]:
    """The reported test set: held-out words spelled with held-out letter samples."""
    _, test_bank = load_letter_banks(args.isolated_dir, args.heldout_fraction)
    words = _splits(args, test_bank.letters())["test"]
    return make_examples(words, test_bank, tokenizer, vocab, max(args.dev_sequences, len(words)),
                         seed=20_000)


def prepare_fingerspelling_data(args: argparse.Namespace, work_dir: Path) -> PreparedData:
    """Banks, word splits, a SentencePiece model of the training words, train/dev sets."""
    train_bank, test_bank = load_letter_banks(args.isolated_dir, args.heldout_fraction)
    splits = _splits(args, test_bank.letters())
    vocab = GlossVocab(list(LETTERS))
    tokenizer = tokenizer_for(args, splits["train"], work_dir)
    dev = make_examples(splits["dev"], test_bank, tokenizer, vocab, args.dev_sequences, 10_000)
    per_epoch = args.sequences_per_epoch

    def train(epoch: int) -> list[Example]:
        return make_examples(splits["train"], train_bank, tokenizer, vocab, per_epoch, epoch)

    def test_eval(model: Translator) -> dict[str, Any]:
        test = make_examples(splits["test"], test_bank, tokenizer, vocab,
                             max(args.dev_sequences, len(splits["test"])), seed=20_000)
        metrics, hyps = evaluate_examples(model, test, tokenizer, vocab, beam_size=args.beam,
                                          alpha=args.alpha,
                                          max_len=(args.max_len_a, args.max_len_b))
        exact = np.mean([h == e.text for h, e in zip(hyps, test, strict=True)])
        return {"heldout_words": {"words": len(splits["test"]), "sequences": len(test),
                                  "cer": metrics["cer"], "word_accuracy": round(float(exact), 4),
                                  "ctc_letter_wer": metrics["ctc_gloss_wer"],
                                  "beam_size": args.beam}}

    samples = {k: sum(len(v) for v in b.shapes.values()) for k, b in
               (("train", train_bank), ("held-out", test_bank))}
    card = (f"Synthetic continuous fingerspelling assembled from real single-letter landmarks "
            f"(see translation/ml/fingerspell.py): {samples['train']} training and "
            f"{samples['held-out']} held-out letter samples from `{args.isolated_dir}` "
            "(asl_alphabet_hands: MediaPipe Hands, CC0, mirrored into the signer's view; "
            "silfa_fingerspelling: Holistic right hands, MIT). Letters are held for jittered "
            "times and joined by interpolated transition frames; tempo, size, rotation, aspect, "
            "noise, missed detections, a resting other hand and left-handed mirroring vary. "
            f"Words: {len(splits['train'])} train / {len(splits['dev'])} dev / "
            f"{len(splits['test'])} held-out ({args.words or 'translation.ml.wordlist'}); "
            f"{per_epoch} fresh sequences per epoch. Target: the word; CTC: its letters.")
    return PreparedData(
        train=train, dev=dev, tokenizer=tokenizer, vocab=vocab, vocab_role="ctc",
        model_overrides={"input_dim": FEATURE_DIM, "ctc_vocab_size": len(vocab),
                         "tgt_vocab_size": len(tokenizer), "max_src_len": 1024},
        extra_config={"features": {"set": FEATURE_SET}}, data_card=card, extra_eval=test_eval,
    )
