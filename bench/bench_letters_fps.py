"""Letters of a signer never trained on, at each extraction frame rate (issue 14 item 3).

Each letter's real SILFA video frames (video/silfa_frames/<L>/, 26 letters, another person than
the ASL alphabet bundles were trained on) are written as an H.264 video (each frame shown
--repeat times at --fps), then run through real MediaPipe Holistic extraction at each --rates
value (landmarks.extract's sample_fps, what jobs do with SLRWEB_EXTRACT_FPS), and read by each
--model bundle as `slrweb recognize` does (IsolatedPredictor.recognize, sliding windows):

- read exactly: the recognised segments spell the letter and nothing else;
- longest segment: the longest recognised segment's gloss is the letter;
- whole clip: the bundle's top-1 over the whole clip (predict_clip);
- per frame: top-1 of every frame with a hand (1-frame clips).

The per-frame logistic baseline is trained in this run on the first bundle's training data
(the ASL alphabet hands, its contiguous-block training split) and reads each frame and the
whole clip (mean log-probability). Letters are X/26 and X/24 without J and Z (drawn in the air).

    OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python bench/bench_letters_fps.py \\
        --model models/asl-alphabet --rates 30 15 10 --out var/bench/letters_fps.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_spelling import word_landmarks  # noqa: E402
from benchlib import extraction_cache  # noqa: E402
from recognition.ml.data import load_asl_npz, split_runs  # noqa: E402
from recognition.ml.evaluate import LogisticBaseline, _static_rows  # noqa: E402
from recognition.ml.features import build_features  # noqa: E402
from recognition.ml.infer import IsolatedPredictor  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FRAMES = SHARED / "video" / "silfa_frames"
MOTION = ("J", "Z")


def tally(hits: dict[str, bool]) -> dict:
    static = {k: v for k, v in hits.items() if k not in MOTION}
    return {"letters": f"{sum(hits.values())}/{len(hits)}",
            "static_letters": f"{sum(static.values())}/{len(static)}"}


def read_with_model(predictor: IsolatedPredictor, seqs: dict[str, object]) -> dict:
    exact, longest, whole, frames_right, frames_total = {}, {}, {}, 0, 0
    read = {}
    for letter, seq in seqs.items():
        segments = predictor.recognize(seq)["segments"]
        glosses = [s["topk"][0]["gloss"] for s in segments]
        read[letter] = "".join(glosses)
        exact[letter] = glosses == [letter]
        longest[letter] = bool(segments) and max(
            segments, key=lambda s: s["end"] - s["start"])["topk"][0]["gloss"] == letter
        whole[letter] = predictor.predict_clip(seq, 1)[0]["gloss"] == letter
        feats = build_features(seq.points, predictor.config.features)
        with_hand = [f[None] for f in feats if not np.isnan(f[0])]
        if with_hand:
            probs = predictor.probabilities(with_hand)
            best = [predictor.vocabulary[int(i)] for i in probs.argmax(axis=1)]
            frames_right += sum(b == letter for b in best)
        frames_total += len(with_hand)
    return {"read_exactly": tally(exact), "longest_segment": tally(longest),
            "whole_clip": tally(whole),
            "frames_top1": round(frames_right / max(frames_total, 1), 4),
            "frames_with_hand": frames_total, "read": read}


def read_with_baseline(baseline: LogisticBaseline, seqs: dict[str, object]) -> dict:
    whole, frames_right, frames_total = {}, 0, 0
    for letter, seq in seqs.items():
        feats = build_features(seq.points, baseline.features)
        feats = feats[~np.isnan(feats[:, 0])]
        if not len(feats):
            whole[letter] = False
            continue
        logp = baseline.clf.predict_log_proba(_static_rows(feats))
        labels = baseline.clf.classes_[logp.argmax(axis=1)]
        frames_right += int(sum(baseline.vocab[int(c)] == letter for c in labels))
        frames_total += len(feats)
        whole[letter] = baseline.vocab[int(baseline.clf.classes_[logp.mean(0).argmax()])] == letter
    return {"whole_clip": tally(whole),
            "frames_top1": round(frames_right / max(frames_total, 1), 4),
            "frames_with_hand": frames_total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", type=Path, required=True)
    parser.add_argument("--rates", type=float, nargs="+", default=[30.0, 15.0, 10.0])
    parser.add_argument("--fps", type=float, default=30.0, help="the written videos' rate")
    parser.add_argument("--repeat", type=int, default=1, help="times each frame is shown")
    parser.add_argument("--letters", default="ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cache = extraction_cache("letters_fps")  # one folder per extractor settings
    predictors = {str(m): IsolatedPredictor.from_bundle(m) for m in args.model}
    first = next(iter(predictors.values()))
    runs = [r for r in load_asl_npz(SHARED / "isolated" / "asl_alphabet_hands"
                                    / "asl_alphabet_hands.npz")
            if r.label in first.vocabulary]
    baseline = LogisticBaseline(first.config.features, first.vocabulary,
                                first.config.train.seed).fit(
        split_runs(runs, first.config.train)["train"])
    results: dict = {"videos": {"fps": args.fps, "repeat": args.repeat}, "rates": {}}
    for rate in args.rates:
        started, cpu = time.perf_counter(), time.process_time()
        seqs = {}
        for letter in args.letters:
            paths = sorted((FRAMES / letter).glob("*.jpg"))
            _, seqs[letter] = word_landmarks(letter, paths, args.fps, args.repeat, cache,
                                             "letter", None if rate >= args.fps else rate)
        row: dict = {"frames": int(sum(len(s) for s in seqs.values())),
                     "extract_wall_s": round(time.perf_counter() - started, 1),
                     "extract_cpu_s": round(time.process_time() - cpu, 1)}
        for name, predictor in predictors.items():
            row[name] = read_with_model(predictor, seqs)
        row["baseline"] = read_with_baseline(baseline, seqs)
        results["rates"][f"{rate:g}"] = row
        print(f"{rate:g} fps", json.dumps({k: ({m: v[m] for m in v if m != "read"}
                                               if isinstance(v, dict) else v)
                                           for k, v in row.items()}), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
