"""Fingerspelling over long clips: old vs new landmarks->text bundle, same inputs, same run.

Inputs (both never seen in training by the new bundle):
- long synthetic sequences: six held-out words in a row, with pauses, assembled from held-out
  letter samples (translation.ml.fingerspell.heldout_examples with phrase_words=6);
- real clips: six held-out words each, spelled back to back by the SILFA signer, cut from the
  held-out frames of video/silfa_frames, encoded to H.264 and read with real MediaPipe
  (bench/fingerspelling_clips.py; landmarks cached under /tmp). Words follow each other with
  no pause (the letter clips are joined as they are), so only the letters can be right there:
  both CER with spaces and CER of the letters alone are reported.

Each bundle is read through TranslationPredictor.translate (what a job and `slrweb translate`
call); an old bundle without a windowed reader is also read with one (its config overridden) to
separate the reader's effect from the retraining's. --ship: the bundle to ship, the same
configuration as --new trained on every SILFA frame (its real-clip numbers are not held-out
ones; --new, trained on the block split, gives those).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_fingerspelling.py \
        --old OLD_BUNDLE --new models/fingerspelling-ase-transformer --out var/bench/fingerspelling.json
    (... --new BLOCK_SPLIT_BUNDLE --ship models/fingerspelling-ase-transformer --write-reader)
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fingerspelling_clips import ROOT, extract_frames, heldout_frames  # (sets sys.path)
from landmarks.sequence import LandmarkSequence
from mlcore.bundle import CARD
from mlcore.card import write_card
from translation.ml.evaluate import char_error_rate
from translation.ml.fingerspell import heldout_phrases
from translation.ml.infer import TranslationPredictor
from translation.ml.windows import DEFAULT_READER

SHARED = ROOT.parent / "shared" / "data"


def scores(hyps: list[str], refs: list[str]) -> dict[str, Any]:
    """CER with spaces, CER of the letters alone, word accuracy (position by position)."""
    pairs = [(h, r) for hyp, ref in zip(hyps, refs, strict=True)
             for h, r in itertools.zip_longest(hyp.split(), ref.split())]
    return {"cer": round(char_error_rate(hyps, refs), 4),
            "cer_letters": round(char_error_rate([h.replace(" ", "") for h in hyps],
                                                 [r.replace(" ", "") for r in refs]), 4),
            "word_accuracy": round(float(np.mean([h == r for h, r in pairs])), 4),
            "sequences": len(refs)}


def read_all(predictor: TranslationPredictor, seqs: list[LandmarkSequence]) -> list[str]:
    return [" ".join(predictor.translate(s)["text"].split()) for s in seqs]


def clip_words(seed: int, test_words: list[str]) -> list[str]:
    """Six held-out words the held-out SILFA frames can spell (Q has no held-out frames)."""
    usable = [w for w in test_words if 4 <= len(w) <= 7
              and all(heldout_frames(SHARED, c.upper())[0] for c in w)]
    return random.Random(seed).sample(usable, 6)


def real_clips(count: int, seed: int, test_words: list[str], fps: float = 30.0,
               repeat: int = 1) -> list[tuple[list[str], Any]]:
    """`count` real clips of six held-out words each: (words, LandmarkSequence); each frame
    shown `repeat` times at `fps` (repeat 3 at 15 fps: slowed down as bench_spelling.py writes
    spelled words), read back at every frame as `slrweb translate --model` does."""
    out = []
    for k in range(count):
        words = clip_words(seed + k, test_words)
        frames = [p for w in words for c in w.upper() for p in heldout_frames(SHARED, c)[0]]
        out.append((words, extract_frames(frames, fps, repeat)))
    return out


WINDOWS = ((32, 12), (48, 16), (64, 24), (96, 32), (128, 48), (192, 64))


def choose_window(predictor: TranslationPredictor, dev: list[LandmarkSequence],
                  refs: list[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """The reader window/overlap with the lowest CER on dev phrases (dev words)."""
    base = dict(predictor.config.get("reader") or DEFAULT_READER)
    tried = {}
    for window, overlap in WINDOWS:
        predictor.config = {**predictor.config, "reader": {**base, "window": window,
                                                           "overlap": overlap}}
        tried[f"{window}/{overlap}"] = scores(read_all(predictor, dev), refs)["cer"]
    window, overlap = map(int, min(tried, key=lambda k: tried[k]).split("/"))
    reader = {**base, "window": window, "overlap": overlap}
    predictor.config = {**predictor.config, "reader": reader}
    return reader, tried


def predictors(args: argparse.Namespace) -> dict[str, TranslationPredictor]:
    """old (and, when it has no windowed reader, old+windows: its weights read in windows),
    new, and shipped (--ship) when given."""
    out = {"old": TranslationPredictor.from_bundle(args.old)}
    if not out["old"].config.get("reader"):
        old_windows = TranslationPredictor.from_bundle(args.old)
        old_windows.config = {**old_windows.config, "reader": dict(DEFAULT_READER)}
        out["old+windows"] = old_windows
    out["new"] = TranslationPredictor.from_bundle(args.new)
    if args.ship:
        out["shipped"] = TranslationPredictor.from_bundle(args.ship)
    return out


def _line(part: dict[str, Any]) -> str:
    return (f"CER {part['cer']}, letters-only CER {part['cer_letters']}, word accuracy "
            f"{part['word_accuracy']}")


WHO = {"new": "this configuration", "old": "the bundle before",
       "old+windows": "the bundle before read in windows",
       "shipped": "the shipped weights (saw every SILFA frame: not held-out numbers)"}


def write_card_section(bundle: Path, report: dict[str, Any]) -> None:
    """Long-clip numbers (this bundle and the one before, same inputs) into metrics.json and
    the card's "Long clips" section (replaced on a rerun). With a shipped bundle (--ship) the
    held-out numbers are those of the same configuration trained on the block split ("new")."""
    metrics_path = bundle / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    keep = ("cer", "cer_letters", "word_accuracy", "sequences")
    names = list(report["real_clips"])
    metrics["long_clips"] = {
        "reader": report["reader_choice_on_dev"].get("new", {}).get("chosen"),
        **{f"{part}_{name}": {k: report[part][name][k] for k in keep}
           for part in ("long_synthetic", "real_clips", "real_clips_slow") for name in names
           if name in report[part]},
        "real_clip_words": [c["words"] for c in report["clips"]]}
    metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    syn, real = report["long_synthetic"], report["real_clips"]
    n_syn = syn["new"]["sequences"]
    new_who = ("this configuration trained on the block split (never saw a held-out frame)"
               if "shipped" in names else "this bundle")
    section = "\n".join([
        "## Long clips (bench/bench_fingerspelling.py)", "",
        f"Read in overlapping windows (config.json \"reader\", window chosen on dev phrases: "
        f"{metrics['long_clips']['reader']}). {n_syn} held-out sequences of six held-out words "
        f"with pauses, held-out letter samples: {new_who}: {_line(syn['new'])}; "
        + "; ".join(f"{WHO[n]}: {_line(syn[n])}" for n in names if n != "new") + ".", "",
        f"{len(report['clips'])} real clips of six held-out words each, spelled back to back "
        "by the SILFA signer from the held-out frames of video/silfa_frames (H.264, MediaPipe "
        f"Holistic; no pause between words): {new_who}: {_line(real['new'])}; "
        + "; ".join(f"{WHO[n]}: {_line(real[n])}" for n in names if n != "new") + ". "
        f"Words: {'; '.join(' '.join(c['words']) for c in report['clips'])}. "
        + " ".join(f"Read by {WHO[n] if n != 'new' else new_who}: "
                   f"{'; '.join(real[n]['texts'])}." for n in names), ""])
    slow = report.get("real_clips_slow") or {}
    if slow:
        section += "\n".join([
            "", "The same clips slowed down as bench/bench_spelling.py writes spelled words (each "
            f"frame shown 3 times at 15 fps, read at every frame): {new_who}: "
            f"{_line(slow['new'])}; "
            + "; ".join(f"{WHO[n]}: {_line(slow[n])}" for n in names if n != "new") + ". "
            f"Read by {new_who}: {'; '.join(slow['new']['texts'])}.", ""])
    card = (bundle / CARD).read_text()
    head, sep, tail = card.partition("## Long clips")
    if sep:  # replace the previous section, keep what follows it
        tail = tail[tail.find("\n## ") + 1:] if "\n## " in tail else ""
    else:
        head, sep, tail = card.partition("## Command")
        tail = sep + tail
    write_card(bundle, head + section + "\n" + tail)  # atomically: a crash keeps the old card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="bundle before this change")
    parser.add_argument("--new", default=str(ROOT / "models" / "fingerspelling-ase-transformer"))
    parser.add_argument("--ship", help="the bundle to ship: the same configuration as --new "
                        "trained on every SILFA frame (read with --new's reader; its card and "
                        "config get --write-reader's section instead of --new's)")
    parser.add_argument("--sequences", type=int, default=40, help="long synthetic sequences")
    parser.add_argument("--dev-sequences", type=int, default=20,
                        help="dev phrases (six dev words) the reader's window is chosen on")
    parser.add_argument("--keep-reader", action="store_true",
                        help="read with each bundle's own reader settings (no choice on dev)")
    parser.add_argument("--write-reader", action="store_true",
                        help="store the reader chosen on dev in the new bundle's config.json")
    parser.add_argument("--clips", type=int, default=3, help="real six-word clips")
    parser.add_argument("--slow-clips", action="store_true",
                        help="also the real clips slowed down (each frame 3 times at 15 fps)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "fingerspelling.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    readers = predictors(args)
    ns = argparse.Namespace(isolated_dir=str(SHARED / "isolated"), heldout_fraction=0.15,
                            words=None, dev_sequences=args.sequences)
    long = heldout_phrases(ns, 6, count=args.sequences)
    test_words = sorted({w for p in heldout_phrases(ns, 1) for w in p.text.split()})
    clips = real_clips(args.clips, args.seed, test_words)
    slow = real_clips(args.clips, args.seed, test_words, 15.0, 3) if args.slow_clips else []
    report: dict[str, Any] = {"machine": "2-core shared VM, CPU", "clips": [
        {"words": w, "frames": len(c), "seconds": round(len(c) / c.fps, 1),
         "hand_frames": int(c.presence[:, 3].sum())} for w, c in clips],
        "long_synthetic": {}, "real_clips": {}, "real_clips_slow": {}}
    seqs = [LandmarkSequence.from_points(p.points, fps=p.fps) for p in long]
    refs = [p.text for p in long]
    dev = heldout_phrases(ns, 6, count=args.dev_sequences, split="dev")
    dev_seqs = [LandmarkSequence.from_points(p.points, fps=p.fps) for p in dev]
    report["reader_choice_on_dev"] = {}
    for name, predictor in readers.items():
        if name == "shipped" and "new" in report["reader_choice_on_dev"]:
            # It saw the dev phrases' SILFA letter samples: it reads with new's choice.
            predictor.config = {**predictor.config,
                                "reader": report["reader_choice_on_dev"]["new"]["chosen"]}
        elif predictor.config.get("reader") and not args.keep_reader:
            reader, tried = choose_window(predictor, dev_seqs, [p.text for p in dev])
            report["reader_choice_on_dev"][name] = {"chosen": reader, "dev_cer": tried}
            print(name, "reader chosen on dev:", reader, tried, flush=True)
        t0, c0 = time.perf_counter(), time.process_time()
        hyps = read_all(predictor, seqs)
        report["long_synthetic"][name] = {**scores(hyps, refs), "examples": hyps[:3],
                                          "seconds": round(time.perf_counter() - t0, 1),
                                          "cpu_seconds": round(time.process_time() - c0, 1)}
        texts = read_all(predictor, [c for _, c in clips])
        report["real_clips"][name] = {**scores(texts, [" ".join(w) for w, _ in clips]),
                                      "texts": texts}
        if slow:
            texts = read_all(predictor, [c for _, c in slow])
            report["real_clips_slow"][name] = {**scores(texts, [" ".join(w) for w, _ in slow]),
                                               "texts": texts}
        print(name, json.dumps(report["long_synthetic"][name]), json.dumps(
            report["real_clips"][name]), json.dumps(report["real_clips_slow"].get(name)),
            flush=True)
    report["long_synthetic"]["references"] = refs[:3]
    if args.write_reader and "new" in report["reader_choice_on_dev"]:
        # The new (or shipped) bundle reads with the window chosen on dev from now on (jobs
        # included).
        target = Path(args.ship or args.new)
        config_path = target / "config.json"
        config = json.loads(config_path.read_text())
        config["reader"] = report["reader_choice_on_dev"]["new"]["chosen"]
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        write_card_section(target, report)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
