"""Spelled words from held-out real frames: letter accuracy of `slrweb recognize` vs a baseline.

Words (several with double letters) are assembled from the real SILFA video frames of each
letter's *test block* under the bundle's own contiguous-block split (frames no model here trained
on); a double letter holds twice as long (the test block, then the validation block: both
held-out, never trained on). Each word is written as an H.264 mp4 (each frame shown --repeat
times at --fps) and run through real MediaPipe Holistic extraction, then decoded by:

- each --model bundle's `IsolatedPredictor.recognize` (what `slrweb recognize --json` prints);
A bundle trained on every frame (split `none`) has seen all of these frames: measure held-out
accuracy with its block-split twin (same config), list the block-split bundle first so that the
baseline trains on the same training blocks, and use --full for the all-frame words.

- the baseline trained in this run on the same training frames and labels (`_` included): a
  logistic regression per frame, per-frame argmax, run-length segmentation (runs of one letter
  shorter than --min-run seconds are dropped, consecutive equal letters merge unless a `_` run
  separates them).

Letter accuracy = 1 - CER (Levenshtein distance / reference length, summed over the words).

--encoding NAME (repeatable; ENCODINGS) writes every word in each of those encodings and scores
each one: the same frames reach MediaPipe as different pixels after different encoders, so a
reading that holds on one encoding only is not a reading to count on (the kept-back clips'
encoder is not known). With several, a last table gives each decoder's lowest and mean accuracy.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_spelling.py \
        --model models/silfa-letters [--model var/bench/silfa-letters-old] [--cli-check]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchlib import extraction_cache  # noqa: E402
from landmarks.extract import extract_landmarks  # noqa: E402
from landmarks.formats.npz import load_npz, save_npz  # noqa: E402
from recognition.ml.data import Run, load_runs, split_runs  # noqa: E402
from recognition.ml.evaluate import LogisticBaseline, _static_rows  # noqa: E402
from recognition.ml.features import build_features  # noqa: E402
from recognition.ml.infer import IsolatedPredictor  # noqa: E402
from recognition.ml.spotting import NO_SIGN  # noqa: E402
from recognition.ml.transitions import with_no_sign  # noqa: E402
from tests.support.spelling import block_split  # noqa: E402
from tests.support.videos import read_rgb, write_video  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FRAMES = SHARED / "video" / "silfa_frames"
TUNING_WORDS = ("BELL", "MOSS", "TEEN", "GRASS", "DOOR", "FUNNY", "QUICK", "APPLY", "WHEEL")
WORDS = ("HELLO", "BALL", "PASS", "PERU", "MAPA", "FIN", "CUB", "COFFEE", "BOOK", "GYM",
         "WAX", "QUIT", "DRESS", "KNEE")


# name -> (file suffix, codec, codec options): write_video's repeatable H.264 at four qualities,
# the VP8/VP9 WebM that a browser's MediaRecorder writes, MPEG-4 part 2 as OpenCV's VideoWriter
# writes it with the "mp4v" fourcc (how frames are often put together into an mp4 in Python;
# codec "cv2:FOURCC"), and MPEG-4 part 2 at FFmpeg's default bit rate (a low-rate stress case).
# SIZES: encodings that first shrink the picture to (width, height), as a small upload is.
SIZES = {"h264-240p": (426, 240), "h264-360p": (640, 360)}
ENCODINGS = {
    "h264": (".mp4", "libx264", {}),
    "h264-crf18": (".mp4", "libx264", {"crf": "18"}),
    "h264-crf30": (".mp4", "libx264", {"crf": "30"}),
    "h264-crf36": (".mp4", "libx264", {"crf": "36"}),
    "vp8": (".webm", "libvpx", {"b": "1M"}),
    "vp9": (".webm", "libvpx-vp9", {"crf": "32", "b": "0"}),
    "cv2-mp4v": (".mp4", "cv2:mp4v", {}),
    "mpeg4-lowrate": (".mp4", "mpeg4", {}),
    "h264-240p": (".mp4", "libx264", {}),
    "h264-360p": (".mp4", "libx264", {}),
}


def encode(frames: Iterable[np.ndarray], path: Path, fps: float, encoding: str) -> Path:
    """RGB frames -> a video file in one of ENCODINGS."""
    _, codec, options = ENCODINGS[encoding]
    if encoding in SIZES:
        frames = (cv2.resize(f, SIZES[encoding], interpolation=cv2.INTER_AREA) for f in frames)
    if not codec.startswith("cv2:"):
        return write_video(frames, path, fps=fps, codec=codec, extra_options=options)
    writer = None
    for image in frames:
        if writer is None:
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec[4:]), fps,
                                     (image.shape[1], image.shape[0]))
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if writer is None:
        raise ValueError("no frames to write")
    writer.release()
    return path


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def held_frames(runs: list[Run], cfg_train) -> dict[str, dict[str, list[Path]]]:
    """Per letter, the frame files of its test and validation blocks (of the block split that
    chose the bundle's configuration, when the bundle itself trained on every frame)."""
    splits = split_runs(runs, block_split(cfg_train))
    out: dict[str, dict[str, list[Path]]] = {}
    for part in ("test", "val"):
        for run in splits[part]:
            files = [FRAMES / f"{i}.jpg" for i in run.ids]
            out.setdefault(run.label, {}).setdefault(part, []).extend(files)
    return out


def word_frames(word: str, held: dict[str, dict[str, list[Path]]], full: bool,
                blocks: str = "test") -> list[Path]:
    """A double letter is the test block followed by the validation block (a longer hold).
    full: every frame of each letter's recording instead (a double letter: the recording twice,
    so the release and the next forming make a dip); most of those frames were trained on.
    blocks="val": validation blocks only (a double letter shows it twice), for choosing decoding
    settings without looking at the test words."""
    paths: list[Path] = []
    for k, letter in enumerate(word):
        if full:
            paths += sorted((FRAMES / letter).glob("frame_*.jpg"),
                            key=lambda p: int(p.stem.split("_")[-1]))
            continue
        double = k > 0 and word[k - 1] == letter
        paths += held[letter]["val" if double and blocks == "test" else blocks]
    return paths


def video_name(word: str, tag: str, repeat: int, fps: float, encoding: str) -> str:
    """The cached video's file name (the default encoding keeps the names earlier runs used)."""
    suffix = ENCODINGS[encoding][0]
    coded = "" if encoding == "h264" else f"_{encoding}"
    return f"{word}_{tag}_r{repeat}_f{int(fps)}{coded}{suffix}"


def word_landmarks(word: str, paths: list[Path], fps: float, repeat: int, cache: Path,
                   tag: str, sample_fps: float | None = None, hand_recovery: bool = False,
                   encoding: str = "h264"):
    video = cache / video_name(word, tag, repeat, fps, encoding)
    if not video.exists():
        encode((read_rgb(p) for p in paths for _ in range(repeat)), video, fps, encoding)
    # extraction is the slow part; the video and the extraction rate are the key
    # The project's .npz keeps the meta: which hands were recovered (landmarks.hands), so that
    # a bundle trained without them reads exactly Holistic alone from the same extraction.
    saved = video.with_suffix(f".s{int(sample_fps)}.l.npz" if sample_fps else ".l.npz")
    if saved.exists() and saved.stat().st_mtime >= video.stat().st_mtime:
        return video, load_npz(saved)
    seq = extract_landmarks(video, sample_fps=sample_fps, hand_recovery=hand_recovery)
    save_npz(seq, saved)
    return video, seq


def baseline_spell(model: LogisticBaseline, seq, vocab: list[str], min_run: float) -> str:
    """Per-frame argmax, runs shorter than min_run seconds dropped, `_` separates repeats."""
    probs = model.clf.predict_proba(_static_rows(build_features(seq.points, model.features)))
    labels = [vocab[int(model.clf.classes_[i])] for i in np.argmax(np.round(probs, 4), axis=1)]
    runs: list[tuple[str, int]] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + 1)
        else:
            runs.append((label, 1))
    kept = [(g, n) for g, n in runs if n / seq.fps >= min_run]
    out: list[str] = []
    for k, (g, _) in enumerate(kept):
        if g != NO_SIGN and not (k > 0 and kept[k - 1][0] == g):
            out.append(g)
    return "".join(out)


def legacy_spell(predictor: IsolatedPredictor, seq) -> str:
    """Landed main's rule (before this change): a window is a sign when a hand is active and its
    top-1 probability >= min_prob; equal neighbouring windows merge; runs < min_windows drop."""
    from recognition.ml.features import active_hand_mask
    from recognition.ml.spotting import window_starts

    spot = predictor.config.spotting
    starts = window_starts(len(seq), spot.window, spot.stride)
    feats = build_features(seq.points, predictor.config.features)
    active = active_hand_mask(seq.points, spot.rest_margin).any(axis=1)
    probs = predictor.probabilities([feats[s : s + spot.window] for s in starts])
    decisions = [int(p.argmax()) if active[s : s + spot.window].mean() >= spot.min_active
                 and p.max() >= spot.min_prob else None for s, p in zip(starts, probs, strict=True)]
    out, previous, length = [], None, 0
    for d in [*decisions, None]:
        if d == previous:
            length += 1
            continue
        if previous is not None and length >= spot.min_windows:
            out.append(predictor.vocabulary[previous])
        previous, length = d, 1
    return "".join(g for g in out if g != NO_SIGN)


def score(rows: dict[str, str]) -> dict:
    edits = sum(edit_distance(w, got) for w, got in rows.items())
    total = sum(len(w) for w in rows)
    return {"letter_accuracy": round(1 - edits / total, 4), "edits": edits, "letters": total,
            "words_exact": f"{sum(w == g for w, g in rows.items())}/{len(rows)}", "read": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", type=Path, required=True)
    parser.add_argument("--words", nargs="*", default=list(WORDS))
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample-fps", type=float, default=None,
                        help="extract at this rate (landmarks.extract sample_fps; default all)")
    parser.add_argument("--min-run", type=float, default=0.2)
    parser.add_argument("--blocks", choices=("test", "val"), default="test",
                        help="held-out blocks the words are made of (val: for tuning)")
    parser.add_argument("--full", action="store_true",
                        help="whole letter recordings (mostly training frames), not held-out")
    parser.add_argument("--legacy", type=Path,
                        help="also decode with landed main's threshold rule, this bundle")
    parser.add_argument("--cli-check", action="store_true",
                        help="also run `slrweb recognize --json` on the first word's video")
    parser.add_argument("--encoding", action="append", choices=sorted(ENCODINGS),
                        help="encode the words this way (repeatable; default h264)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--segment-seconds", type=float, default=None,
                        help="tracking restarts every this many seconds (landmarks.extract."
                             "SEGMENT_SECONDS; 0: never, as extractor /1 did)")
    args = parser.parse_args()
    if args.segment_seconds is not None:
        import landmarks.extract

        landmarks.extract.SEGMENT_SECONDS = args.segment_seconds or 1e9
    import torch

    torch.set_num_threads(1)
    first = IsolatedPredictor.from_bundle(args.model[0])
    cfg = first.config
    # Every bundle is read from the landmarks the first one was trained on (with or without
    # recovered hands: landmarks.hands), and so is the baseline trained.
    recovery = first.config.features.hand_recovery
    runs = [r for r in load_runs("frames", FRAMES, hand_recovery=recovery)
            if r.label in set(first.vocabulary)]
    held = held_frames(runs, cfg.train)
    started = time.perf_counter()
    vocab = sorted({r.label for r in runs})
    _, vocab, splits = with_no_sign(cfg, runs, split_runs(runs, cfg.train), vocab)
    baseline = LogisticBaseline(cfg.features, vocab, cfg.train.seed).fit(splits["train"])
    results: dict = {"baseline_train_seconds": round(time.perf_counter() - started, 1)}
    cache = extraction_cache("spelling", recovery)  # one folder per extractor settings
    encodings = args.encoding or ["h264"]
    tag = "full" if args.full else "held" if args.blocks == "test" else "val"
    for encoding in encodings:
        read: dict[str, dict[str, str]] = {str(m): {} for m in args.model}
        read["baseline"] = {}
        if args.legacy:
            read["legacy"] = {}
        for word in args.words:
            paths = word_frames(word, held, args.full, args.blocks)
            video, seq = word_landmarks(word, paths, args.fps, args.repeat, cache, tag,
                                        args.sample_fps, recovery, encoding)
            for model in args.model:
                out = IsolatedPredictor.from_bundle(model).recognize(seq)
                read[str(model)][word] = "".join(s["topk"][0]["gloss"] for s in out["segments"])
            read["baseline"][word] = baseline_spell(baseline, seq, vocab, args.min_run)
            if args.legacy:
                read["legacy"][word] = legacy_spell(IsolatedPredictor.from_bundle(args.legacy),
                                                    seq)
            print(encoding, word, {k: v[word] for k, v in read.items()}, flush=True)
        scored = {name: score(rows) for name, rows in read.items()}
        if len(encodings) == 1:
            results.update(scored)
        else:
            results.setdefault("encodings", {})[encoding] = scored
    if len(encodings) > 1:
        by_encoding = results["encodings"]
        for name in by_encoding[encodings[0]]:
            accuracies = [by_encoding[e][name]["letter_accuracy"] for e in encodings]
            results.setdefault("across_encodings", {})[name] = {
                "lowest": min(accuracies), "mean": round(sum(accuracies) / len(accuracies), 4),
                "per_encoding": dict(zip(encodings, accuracies))}
    if args.cli_check:
        video = cache / video_name(args.words[0], tag, args.repeat, args.fps, encodings[0])
        printed = subprocess.run([str(ROOT / ".venv" / "bin" / "slrweb"), "recognize", str(video),
                                  "--json", "--model", str(args.model[0])], check=True,
                                 capture_output=True, text=True).stdout
        results["cli_check"] = {"word": args.words[0], "segments": json.loads(printed)["segments"]}
    summary = {k: {m: v[m] for m in ("letter_accuracy", "words_exact")}
               for k, v in results.items() if isinstance(v, dict) and "letter_accuracy" in v}
    summary.update({f"{k} ({e})": {m: v[m] for m in ("letter_accuracy", "words_exact")}
                    for e, scored in results.get("encodings", {}).items()
                    for k, v in scored.items()})
    summary.update({f"{k} across encodings": v
                    for k, v in results.get("across_encodings", {}).items()})
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
