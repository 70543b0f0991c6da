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
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from landmarks.normalize import mirror_points, normalize_hand
from mlcore.config import Config
from translation.ml.data import Example
from translation.ml.evaluate import char_error_rate, evaluate_examples
from translation.ml.features import FEATURE_DIM, FEATURE_SET, hand_features
from translation.ml.letterbank import (  # noqa: F401 (re-exported)
    LETTERS,
    SILFA_HELDOUT_FRACTION,
    VIDEO,
    VIDEO_FPS,
    LetterBank,
    SilfaSample,
    load_letter_banks,
    silfa_samples,
)
from translation.ml.model import Translator
from translation.ml.pipeline import PreparedData, tokenizer_for
from translation.ml.tokenizer import GlossVocab, TextTokenizer
from translation.ml.windows import DEFAULT_READER, WORD_GAP, read_letters
from translation.ml.wordlist import WORDS



@dataclass(frozen=True)
class SynthesisConfig(Config):
    """Ranges the synthetic sequences are drawn from (seconds unless stated)."""

    fps: tuple[float, ...] = (25.0, 30.0)
    hold: tuple[float, float] = (0.08, 0.60)  # one letter held (real consecutive frames)
    transition: tuple[float, float] = (0.04, 0.16)  # moving from one letter to the next
    cut_prob: float = 0.2  # no transition frames at all (jump cut, dropped frames)
    lead: tuple[float, float] = (0.0, 0.4)  # hand raising before / lowering after the phrase
    gap: tuple[float, float] = (0.2, 0.9)  # pause between two words
    # How a word ends: hands down (out of view), a visible rest pose, or straight on (no cue).
    gap_kinds: tuple[tuple[str, float], ...] = (("down", 0.4), ("rest", 0.35), ("none", 0.25))
    tempo: tuple[float, float] = (0.7, 1.5)  # per-phrase speed factor on holds and transitions
    palm_size: tuple[float, float] = (0.04, 0.09)  # image units
    rotation_deg: float = 15.0  # per phrase, in-plane
    aspect: tuple[float, float] = (0.75, 1.35)  # x stretch: camera aspect / hand orientation
    noise: float = 0.04  # per-frame landmark jitter, in palm sizes
    miss_prob: float = 0.04  # frames where the tracker lost the hand
    rest_hand_prob: float = 0.5
    left_handed_prob: float = 0.25
    # Phrases spelled as a real video spells them (needs VIDEO runs in the bank): each letter a
    # stretch of the SILFA letter video played straight through at the video's own speed, mostly
    # cut to the next letter as the letter clips of a real spelled-word video are joined.
    clip_prob: float = 0.0
    # How the video is played: (fps of the sequence, step over the VIDEO_FPS frames, times each
    # frame is shown). Every frame at 30 fps (`slrweb translate --model`), every other one at 15
    # (what a job extracts), and slowed-down word videos (each frame shown 2-3 times at 15 fps,
    # as bench/bench_spelling.py writes spelled words).
    clip_playback: tuple[tuple[float, int, int], ...] = (
        (30.0, 1, 1), (15.0, 2, 1), (15.0, 1, 3), (15.0, 1, 2))
    clip_len: tuple[float, float] = (0.25, 1.2)  # one letter's stretch, in video seconds
    clip_cut_prob: float = 0.7


def _frames(rng: random.Random, fps: float, tempo: float, span: tuple[float, float]) -> int:
    return max(1, round(rng.uniform(*span) * tempo * fps))


def _ease(n: int) -> np.ndarray:
    """n interior interpolation weights of a smoothstep from 0 to 1 (excluding both ends)."""
    t = np.arange(1, n + 1) / (n + 1)
    return t * t * (3 - 2 * t)


@dataclass
class _Track:
    """Per-frame normalised right-hand shapes (21, 3), offsets (2,) in palm units, visibility."""

    shapes: list[np.ndarray] = field(default_factory=list)
    offsets: list[np.ndarray] = field(default_factory=list)
    visible: list[bool] = field(default_factory=list)

    def add(self, shape: np.ndarray, offset: np.ndarray, visible: bool = True) -> None:
        self.shapes.append(shape)
        self.offsets.append(offset)
        self.visible.append(visible)

    def move(self, shape: np.ndarray, offset: np.ndarray, frames: int,
             hop: np.ndarray | None = None) -> None:
        """Eased transition from the last frame to (shape, offset), ends excluded."""
        shape0, off0 = self.shapes[-1], self.offsets[-1]
        for w in _ease(frames):
            bump = hop * np.sin(np.pi * w) if hop is not None else 0.0
            self.add((1 - w) * shape0 + w * shape, (1 - w) * off0 + w * offset + bump)


def _spell(track: _Track, word: str, bank: LetterBank, rng: random.Random,
           cfg: SynthesisConfig, fps: float, tempo: float) -> None:
    """Append one word: real letter holds joined by eased transitions (or jump cuts)."""
    drift = np.array([rng.uniform(-0.08, 0.08), rng.uniform(-0.03, 0.03)])
    start = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.3, 0.3)])
    for i, letter in enumerate(word):
        held = bank.hold(letter, _frames(rng, fps, tempo, cfg.hold), rng)
        off = start + drift * i
        if track.shapes and rng.random() >= cfg.cut_prob:
            hop = np.array([0.35, -0.1]) if i and letter == word[i - 1] else None
            track.move(held[0], off, _frames(rng, fps, tempo, cfg.transition), hop)
        for shape in held:
            track.add(shape, off)


def _spell_clip(track: _Track, word: str, bank: LetterBank, rng: random.Random,
                cfg: SynthesisConfig, stride: int, repeat: int) -> None:
    """Append one word from the letters' VIDEO runs (_spell's holds where a letter has none),
    every `stride`-th video frame shown `repeat` times."""
    rate = VIDEO_FPS / stride  # distinct frames per second of video
    start = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.3, 0.3)])
    for i, letter in enumerate(word):
        frames = _frames(rng, rate, 1.0, cfg.clip_len)
        held = (bank.clip(letter, frames, rng, VIDEO, stride) if bank.has_source(letter, VIDEO)
                else bank.hold(letter, frames, rng))
        off = start + np.array([rng.uniform(-0.1, 0.1), rng.uniform(-0.05, 0.05)])
        if track.shapes and rng.random() >= cfg.clip_cut_prob:
            hop = np.array([0.35, -0.1]) if i and letter == word[i - 1] else None
            track.move(held[0], off, _frames(rng, rate, 1.0, cfg.transition) * repeat, hop)
        for shape in held:
            for _ in range(repeat):
                track.add(shape, off)


def _word_gap(track: _Track, bank: LetterBank, rng: random.Random, cfg: SynthesisConfig,
              fps: float, tempo: float) -> str:
    """Append the pause after a word; returns its kind ("down", "rest" or "none")."""
    kinds, weights = zip(*cfg.gap_kinds, strict=True)
    kind = rng.choices(kinds, weights)[0]
    if kind == "none" or not track.shapes:
        return "none"
    shape, off = track.shapes[-1], track.offsets[-1]
    frames = _frames(rng, fps, 1.0, cfg.gap)
    if kind == "down":  # the hand drops out of view
        track.move(shape, off + np.array([0.0, 4.0]), _frames(rng, fps, tempo, cfg.transition))
        for _ in range(frames):
            track.add(shape, off + np.array([0.0, 4.0]), visible=False)
        return kind
    # A relaxed hand low in front of the body: a real resting hand (a left one, mirrored).
    rest = shape
    if bank.rest:
        rest = normalize_hand(rng.choice(bank.rest)) * np.array([-1.0, 1.0, 1.0], np.float32)
    low = off + np.array([rng.uniform(-0.5, 0.5), rng.uniform(1.5, 3.0)])
    track.move(rest, low, _frames(rng, fps, tempo, cfg.transition))
    for _ in range(frames):
        track.add(rest, low)
    return kind


def _render(track: _Track, rng: random.Random, cfg: SynthesisConfig, lead: tuple[int, int],
            rest_hands: Sequence[np.ndarray]) -> np.ndarray:
    """Place the track in the image (size, rotation, aspect, position, noise, misses)."""
    lead_in, lead_out = lead
    t = len(track.shapes) + lead_in + lead_out
    nprng = np.random.default_rng(rng.getrandbits(32))
    angle = np.deg2rad(rng.uniform(-cfg.rotation_deg, cfg.rotation_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    stretch = np.array([rng.uniform(*cfg.aspect), 1.0])
    palm = rng.uniform(*cfg.palm_size)
    anchor = np.array([rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.55)])
    hand = np.stack(track.shapes).copy()  # (T', 21, 3) palm units
    hand += nprng.normal(0.0, cfg.noise, hand.shape)
    hand[..., :2] = (hand[..., :2] + np.stack(track.offsets)[:, None]) @ rot.T * stretch
    hand = hand * palm
    hand[..., :2] += anchor
    hand[~np.asarray(track.visible)] = np.nan
    points = np.full((t, NUM_POINTS, 3), np.nan, dtype=np.float32)
    points[lead_in : lead_in + len(hand), RIGHT_HAND] = hand
    points[nprng.random(t) < cfg.miss_prob, RIGHT_HAND] = np.nan
    if rest_hands and rng.random() < cfg.rest_hand_prob:
        points[:, LEFT_HAND] = rng.choice(rest_hands) + nprng.normal(0.0, 0.002, (t, 21, 3))
    if rng.random() < cfg.left_handed_prob:
        points = mirror_points(points)
    return points.astype(np.float32)


def synthesize_phrase(words: Sequence[str], bank: LetterBank, rng: random.Random,
                      cfg: SynthesisConfig = SynthesisConfig()
                      ) -> tuple[np.ndarray, float, list[str]]:
    """Landmarks of `words` spelled one after another with pauses between them:
    ((T, 543, 3) NaN-missing, fps, CTC labels: letters, WORD_GAP where a pause shows)."""
    clip = cfg.clip_prob > 0 and rng.random() < cfg.clip_prob  # (no draw: same phrases as before)
    fps, stride, repeat = rng.choice(cfg.clip_playback) if clip else (rng.choice(cfg.fps), 1, 1)
    tempo = rng.uniform(*cfg.tempo)
    track = _Track()
    labels: list[str] = []
    for i, word in enumerate(words):
        if i and _word_gap(track, bank, rng, cfg, fps, tempo) != "none":
            labels.append(WORD_GAP)
        if clip:
            _spell_clip(track, word.upper(), bank, rng, cfg, stride, repeat)
        else:
            _spell(track, word.upper(), bank, rng, cfg, fps, tempo)
        labels.extend(word.upper())
    lead = (_frames(rng, fps, 1.0, cfg.lead) - 1, _frames(rng, fps, 1.0, cfg.lead) - 1)
    return _render(track, rng, cfg, lead, bank.rest), fps, labels


def synthesize_word(word: str, bank: LetterBank, rng: random.Random,
                    cfg: SynthesisConfig = SynthesisConfig()) -> tuple[np.ndarray, float]:
    """Landmarks of `word` (A-Z letters) spelled continuously: ((T, 543, 3) NaN-missing, fps)."""
    points, fps, _ = synthesize_phrase([word], bank, rng, cfg)
    return points, fps


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


@dataclass(frozen=True)
class Phrase:
    """One synthetic sequence: landmarks (T, 543, 3), frame rate, CTC labels, text."""

    points: np.ndarray
    fps: float
    labels: list[str]
    text: str


def make_phrases(words: Sequence[str], bank: LetterBank, count: int, seed: int,
                 cfg: SynthesisConfig = SynthesisConfig(),
                 phrase_words: tuple[int, int] = (1, 1)) -> list[Phrase]:
    """`count` synthetic phrases of `phrase_words` (min, max) words cycling through `words`."""
    rng = random.Random(seed)
    order = list(words)
    rng.shuffle(order)
    pos = 0
    out = []
    for _ in range(count):
        phrase = []
        for _ in range(rng.randint(*phrase_words)):
            if pos == len(order):
                rng.shuffle(order)
                pos = 0
            phrase.append(order[pos])
            pos += 1
        points, fps, labels = synthesize_phrase(phrase, bank, rng, cfg)
        out.append(Phrase(points, fps, labels, " ".join(phrase)))
    return out


def make_examples(words: Sequence[str], bank: LetterBank, tokenizer: TextTokenizer,
                  vocab: GlossVocab, count: int, seed: int,
                  cfg: SynthesisConfig = SynthesisConfig(),
                  phrase_words: tuple[int, int] = (1, 1)) -> list[Example]:
    """make_phrases as training examples: features, text ids ("word word"), CTC labels
    (letters and word gaps)."""
    return [Example(src=hand_features(p.points), tgt=tokenizer.encode(p.text),
                    ctc=vocab.encode(p.labels), text=p.text)
            for p in make_phrases(words, bank, count, seed, cfg, phrase_words)]


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


def ctc_vocab() -> GlossVocab:
    """CTC labels of the landmarks->text speller: the letters and the word gap."""
    return GlossVocab([*LETTERS, WORD_GAP])


def heldout_phrases(args: argparse.Namespace, phrase_words: int = 1,
                    count: int | None = None, split: str = "test",
                    cfg: SynthesisConfig = SynthesisConfig()) -> list[Phrase]:
    """The reported test set: held-out words spelled with held-out letter samples, alone
    (phrase_words=1) or `phrase_words` in a row with pauses (long sequences). split="dev":
    the dev words instead (choices such as the reader's window are made there). `cfg`: the
    ranges they are drawn from (the defaults unless a check asks for others, e.g. less noise)."""
    _, test_bank = load_letter_banks(args.isolated_dir, args.heldout_fraction)
    words = _splits(args, test_bank.letters())[split]
    n = count or max(args.dev_sequences, len(words))
    seed = (20_000 if split == "test" else 30_000) + phrase_words
    return make_phrases(words, test_bank, n, seed, cfg, (phrase_words, phrase_words))


def heldout_examples(args: argparse.Namespace, tokenizer: TextTokenizer, vocab: GlossVocab,
                     phrase_words: int = 1, count: int | None = None) -> list[Example]:
    """heldout_phrases as examples (features, text ids, CTC labels)."""
    return [Example(src=hand_features(p.points), tgt=tokenizer.encode(p.text),
                    ctc=vocab.encode(p.labels), text=p.text)
            for p in heldout_phrases(args, phrase_words, count)]


def heldout_metrics(model: Translator, examples: Sequence[Example], tokenizer: TextTokenizer,
                    vocab: GlossVocab, reader: Mapping[str, Any]) -> dict[str, Any]:
    """CER (with and without spaces) and word accuracy of the windowed CTC reader."""
    hyps = [read_letters(model, np.asarray(e.src), vocab, reader).text for e in examples]
    refs = [e.text for e in examples]
    words = [(h, r) for hyp, ref in zip(hyps, refs, strict=True)
             for h, r in itertools.zip_longest(hyp.split(), ref.split())]
    return {"sequences": len(examples), "cer": round(char_error_rate(hyps, refs), 4),
            "cer_letters": round(char_error_rate([h.replace(" ", "") for h in hyps],
                                                 [r.replace(" ", "") for r in refs]), 4),
            "word_accuracy": round(float(np.mean([h == r for h, r in words])), 4),
            "reader": dict(reader)}


def _card(args: argparse.Namespace, train_bank: LetterBank, test_bank: LetterBank,
          splits: dict[str, list[str]], cfg: SynthesisConfig = SynthesisConfig()) -> str:
    samples = {k: sum(len(v) for v in b.shapes.values()) for k, b in
               (("train", train_bank), ("held-out", test_bank))}
    return (f"Synthetic continuous fingerspelling assembled from real single-letter landmarks "
            f"(see translation/ml/fingerspell.py): {samples['train']} training and "
            f"{samples['held-out']} held-out letter samples from `{args.isolated_dir}` "
            "(asl_alphabet_hands: MediaPipe Hands, CC0, mirrored into the signer's view; "
            "silfa_fingerspelling: Holistic right hands, MIT; both split by frame order, the "
            f"last {args.heldout_fraction:g} / {SILFA_HELDOUT_FRACTION:g} of each letter held "
            "out). Phrases of 1-"
            f"{args.max_phrase_words} words: each letter replays consecutive real frames for a "
            "jittered time, letters are joined by eased transitions or jump cuts, and words by "
            "pauses (hand dropped out of view, a real resting hand low in front, or no pause); "
            "tempo, size, rotation, aspect, noise (per-frame landmark jitter of sd "
            f"{cfg.noise:g} palm sizes), missed detections, a resting other hand and "
            f"left-handed mirroring vary. Words: {len(splits['train'])} train / "
            f"{len(splits['dev'])} dev / {len(splits['test'])} held-out "
            f"({args.words or 'translation.ml.wordlist'}); {args.sequences_per_epoch} fresh "
            "phrases per epoch. Target: the words; CTC: their letters and `_` at visible pauses."
            + _video_card(args, cfg))


def _video_card(args: argparse.Namespace, cfg: SynthesisConfig) -> str:
    video = getattr(args, "letter_video", None)
    if not video:
        return ""
    text = (f" Also the SILFA letter videos (video/silfa_frames) read back with MediaPipe "
            f"Holistic ({video}): one more recording per letter, J and Z included, split like "
            f"SILFA's samples (the last {SILFA_HELDOUT_FRACTION:g} of each letter's frames held "
            f"out); {cfg.clip_prob:g} of the phrases are spelled from these video runs as a real "
            f"video is (each letter {cfg.clip_len[0]:g}-{cfg.clip_len[1]:g} s of consecutive "
            "video frames, cut to the next letter with probability "
            f"{cfg.clip_cut_prob:g}; played as (fps, every n-th frame, each shown k times) "
            f"{', '.join(str(p) for p in cfg.clip_playback)}: every frame, a job's 15 fps, "
            "and slowed-down word videos).")
    if getattr(args, "all_silfa", False):
        text += (" Final retrain: every SILFA frame (samples and video, held-out blocks "
                 "included) trained these weights.")
    return text


def letter_video_recovered(path: str | Path | None) -> bool:
    """Whether the --letter-video npz was extracted with the hands Holistic lost recovered
    (bench/fingerspelling_clips.py records it; landmarks.hands): the model then reads its input
    that way too."""
    if not path:
        return False
    with np.load(path) as data:
        return bool(data["hand_recovery"]) if "hand_recovery" in data else False


def synthesis_config(args: argparse.Namespace) -> SynthesisConfig:
    """What a training run's phrases are drawn from: the defaults, `--synth-noise` (landmark
    jitter in palm sizes) and, with `--letter-video`, `--clip-prob`."""
    noise = getattr(args, "synth_noise", None)
    return SynthesisConfig(
        clip_prob=float(getattr(args, "clip_prob", 0.0)) if getattr(args, "letter_video", None)
        else 0.0,
        noise=SynthesisConfig.noise if noise is None else float(noise))


def prepare_fingerspelling_data(args: argparse.Namespace, work_dir: Path) -> PreparedData:
    """Banks, word splits, a SentencePiece model of the training words, train/dev sets."""
    video = getattr(args, "letter_video", None)
    all_silfa = bool(getattr(args, "all_silfa", False))
    train_bank, test_bank = load_letter_banks(args.isolated_dir, args.heldout_fraction,
                                              video=video, all_silfa=all_silfa)
    splits = _splits(args, test_bank.letters())
    vocab = ctc_vocab()
    tokenizer = tokenizer_for(args, splits["train"], work_dir)
    span = (1, args.max_phrase_words)
    cfg = synthesis_config(args)
    dev = make_examples(splits["dev"], test_bank, tokenizer, vocab, args.dev_sequences, 10_000,
                        cfg, phrase_words=span)

    def train(epoch: int) -> list[Example]:
        return make_examples(splits["train"], train_bank, tokenizer, vocab,
                             args.sequences_per_epoch, epoch, cfg, phrase_words=span)

    def test_eval(model: Translator) -> dict[str, Any]:
        single = heldout_examples(args, tokenizer, vocab, 1)
        metrics, hyps = evaluate_examples(model, single, tokenizer, vocab, beam_size=args.beam,
                                          alpha=args.alpha,
                                          max_len=(args.max_len_a, args.max_len_b))
        exact = np.mean([h == e.text for h, e in zip(hyps, single, strict=True)])
        long = heldout_examples(args, tokenizer, vocab, 6, count=args.long_sequences)
        return {"heldout_words": {"words": len(splits["test"]), "sequences": len(single),
                                  "cer": metrics["cer"], "word_accuracy": round(float(exact), 4),
                                  "ctc_letter_wer": metrics["ctc_gloss_wer"],
                                  "beam_size": args.beam},
                "heldout_words_ctc": heldout_metrics(model, single, tokenizer, vocab,
                                                     DEFAULT_READER),
                "heldout_six_word_phrases": heldout_metrics(model, long, tokenizer, vocab,
                                                            DEFAULT_READER)}

    return PreparedData(
        train=train, dev=dev, tokenizer=tokenizer, vocab=vocab, vocab_role="ctc",
        model_overrides={"input_dim": FEATURE_DIM, "ctc_vocab_size": len(vocab),
                         "tgt_vocab_size": len(tokenizer), "max_src_len": 1024},
        extra_config={"features": {"set": FEATURE_SET,
                                   "hand_recovery": letter_video_recovered(video)},
                      "reader": dict(DEFAULT_READER),
                      "synthesis": cfg.to_dict()},
        data_card=_card(args, train_bank, test_bank, splits, cfg), extra_eval=test_eval,
        task="fingerspelling",
    )
