"""Where a fingerspelling bundle loses letters on the real clips of bench_fingerspelling.py.

The same cached real clips (held-out SILFA frames, six held-out words back to back), read by the
bundle's windowed reader (1) as the whole clip, (2) one word at a time (each word's frames cut
out of the clip's landmarks), (3) one letter at a time (does the model know the handshape at
all?), (4) the whole clip at 15 fps (every other frame: what a job extracts), (5) the whole clip
in one window (no windowing). Letters-only CER throughout (no pauses between words in a clip):

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/fingerspelling_diagnose.py \
        --bundle models/fingerspelling-ase-transformer
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

import torch

from bench_fingerspelling import SHARED, clip_words, real_clips  # (sets sys.path)
from fingerspelling_clips import heldout_frames
from landmarks.sequence import LandmarkSequence
from translation.ml.evaluate import char_error_rate
from translation.ml.fingerspell import heldout_phrases
from translation.ml.infer import TranslationPredictor


def letters(predictor: TranslationPredictor, seq: LandmarkSequence) -> str:
    return predictor.translate(seq)["text"].replace(" ", "")


def cut(seq: LandmarkSequence, lo: int, hi: int, step: int = 1) -> LandmarkSequence:
    """Frames [lo, hi) (every step-th), their timestamps and meta kept: a bundle trained without
    recovered hands still drops them (landmarks.hands.as_trained matches by timestamp)."""
    return LandmarkSequence(points=seq.points[lo:hi:step], presence=seq.presence[lo:hi:step],
                            timestamps=seq.timestamps[lo:hi:step], fps=seq.fps / step,
                            meta=dict(seq.meta))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    predictor = TranslationPredictor.from_bundle(args.bundle)
    ns = argparse.Namespace(isolated_dir=str(SHARED / "isolated"), heldout_fraction=0.15,
                            words=None, dev_sequences=40)
    test_words = sorted({w for p in heldout_phrases(ns, 1) for w in p.text.split()})
    clips = real_clips(args.clips, args.seed, test_words)
    assert [w for w, _ in clips] == [clip_words(args.seed + k, test_words)
                                     for k in range(args.clips)]
    hyp: dict[str, list[str]] = {k: [] for k in ("clip", "words", "letters", "15fps", "one")}
    ref: dict[str, list[str]] = {k: [] for k in hyp}
    missed: Counter[str] = Counter()
    for words, seq in clips:
        whole = "".join(words)
        hyp["clip"].append(letters(predictor, seq))
        hyp["15fps"].append(letters(predictor, cut(seq, 0, len(seq.points), 2)))
        reader = dict(predictor.config["reader"])
        predictor.config["reader"] = {**reader, "window": len(seq.points) + 1,
                                      "overlap": min(reader["overlap"], len(seq.points))}
        hyp["one"].append(letters(predictor, seq))
        predictor.config["reader"] = reader
        for k in ("clip", "15fps", "one"):
            ref[k].append(whole)
        pos = 0
        for word in words:
            start = pos
            for c in word.upper():
                n = len(heldout_frames(SHARED, c)[0])
                read = letters(predictor, cut(seq, pos, pos + n))
                hyp["letters"].append(read)
                ref["letters"].append(c.lower())
                if c.lower() not in read:
                    missed[c] += 1
                pos += n
            hyp["words"].append(letters(predictor, cut(seq, start, pos)))
            ref["words"].append(word)
        assert pos == len(seq.points), (pos, len(seq.points))
    out: dict[str, Any] = {k: round(char_error_rate(hyp[k], ref[k]), 4) for k in hyp}
    out["letters_missed"] = dict(missed.most_common())
    out["words_read"] = [f"{r}->{h}" for r, h in zip(ref["words"], hyp["words"], strict=True)]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
