"""Spotting settings re-chosen on the tuning words: a grid re-decoding cached landmarks.

Reads the landmarks bench_spelling.py cached for the nine tuning words (validation blocks slowed
and at real speed, read by the block-split twin tmp/blk-rec; whole recordings at real speed, read
by models/silfa-letters) in the given encodings, classifies every clip once (the probabilities
`IsolatedPredictor.windows` gives and `recognize` hands to `spotting.decode`), then decodes
them again under every setting of the grid; prints the ten best by the mean of the three sets,
and the settings of models/silfa-letters. Run the three bench_spelling.py commands of
bench/RESULTS.md (2026-11-27 23:05 UTC) first.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/bench_spotting_grid.py \
        h264,h264-crf18,h264-crf30,h264-crf36,vp8,vp9,cv2-mp4v,mpeg4-lowrate
"""
import dataclasses
import glob
import itertools
import sys

import numpy as np
import torch

from bench_spelling import TUNING_WORDS, edit_distance
from landmarks.formats.npz import load_npz
from recognition.ml.config import SpottingConfig
from recognition.ml.infer import IsolatedPredictor, Windows
from recognition.ml.spotting import decode

SETS = {  # name -> (model, filename pattern)
    "val_slow": ("tmp/blk-rec", "{w}_val_r3_f15{e}.l.npz"),
    "val_real": ("tmp/blk-rec", "{w}_val_r1_f30{e}.s15.l.npz"),
    "full_tune": ("models/silfa-letters", "{w}_full_r1_f30{e}.s15.l.npz"),
}
GRID = dict(switch_cost=[1.0, 2.0, 3.0], min_hold_ratio=[0.2, 0.3, 0.4], dip_prob=[0.3, 0.4, 0.5],
            min_run_prob=[0.4, 0.5, 0.6], double_hold_ratio=[1.4, 1.5, 1.7])
Clips = dict[str, list[tuple[str, str, list[str], Windows | None]]]


def read_clips(cache: str, encodings: list[str]) -> Clips:
    """Every cached clip of every set, classified once: (encoding, word, vocabulary, windows)."""
    clips: Clips = {}
    for name, (model, pattern) in SETS.items():
        pred = IsolatedPredictor.from_bundle(model)
        for enc in encodings:
            tag = "" if enc == "h264" else f"_{enc}"
            for w in TUNING_WORDS:
                try:
                    seq = load_npz(cache + pattern.format(w=w, e=tag))
                except FileNotFoundError:
                    continue
                clips.setdefault(name, []).append((enc, w, pred.vocabulary, pred.windows(seq)))
    return clips


def score(clips: Clips, spot: SpottingConfig) -> dict[str, float]:
    """Per set: 1 - CER, the mean over encodings."""
    out = {}
    for name, items in clips.items():
        per: dict[str, tuple[int, int]] = {}
        for enc, w, vocab, win in items:
            found = decode(win.probs, win.busy, vocab, spot, win.times) if win else []
            got = "".join(vocab[s.label] for s in found)
            e, n = per.get(enc, (0, 0))
            per[enc] = (e + edit_distance(w, got), n + len(w))
        out[name] = float(np.mean([1 - e / n for e, n in per.values()]))
    return out


def main() -> None:
    torch.set_num_threads(1)
    clips = read_clips(glob.glob("var/bench/spelling/*/")[0], sys.argv[1].split(","))
    base = IsolatedPredictor.from_bundle("models/silfa-letters").config.spotting
    current = score(clips, base)
    print("current", {k: round(v, 4) for k, v in current.items()}, flush=True)
    rows = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        s = score(clips, dataclasses.replace(base, **params))
        rows.append((float(np.mean(list(s.values()))), s, params))
    rows.sort(key=lambda r: -r[0])
    for r in rows[:10]:
        print(round(r[0], 4), {k: round(v, 4) for k, v in r[1].items()}, r[2])
    print("current mean", round(float(np.mean(list(current.values()))), 4),
          "n clips", {k: len(v) for k, v in clips.items()})


if __name__ == "__main__":
    main()
