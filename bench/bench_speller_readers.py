"""Two ways to read fingerspelling, on the same real clips: the landmarks->text fingerspeller
(models/fingerspelling-ase-transformer: a transformer read in overlapping windows) against a letter
classifier's sign spotting (an isolated letters bundle such as models/silfa-letters, read as
`slrweb recognize` reads it, the segments' letters joined).

Clips: six held-out words in a row (bench_fingerspelling.clip_words), each letter's frames cut
from the real SILFA letter videos and run through MediaPipe Holistic (recovered hands when the
environment asks, SLRWEB_HAND_RECOVERY=1, as the letters bundle was trained). Only frames that
BOTH readers held out are used: the fingerspeller's held-out block of each letter
(fingerspelling_clips.heldout_frames) intersected with the first --letters bundle's validation and
test blocks (its train config: split "blocks"). Train that bundle with the blocks at the end,
where the fingerspeller holds out, e.g.:

    slrweb train-isolated --config recognition/ml/configs/silfa-letters.json --data-format frames \\
        --data ../shared/data/video/silfa_frames --out /tmp/letters-v4t3 --val-block 4 --test-block 3
    SLRWEB_HAND_RECOVERY=1 OMP_NUM_THREADS=1 .venv/bin/python bench/bench_speller_readers.py \\
        --letters /tmp/letters-v4t3 --letters models/silfa-letters --clips 6

Further --letters bundles read the same clips (models/silfa-letters trained on every frame: not
held out for it). The clips have no pause between words, so letters-only CER (spaces removed) is
the score; J and Z are not in the letters bundles' vocabulary and count as errors.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from bench_fingerspelling import SHARED, clip_words  # (sets sys.path)
from benchlib import extraction_cache
from fingerspelling_clips import extract_frames, heldout_frames, letter_frames
from fingerspelling_diagnose import cut
from mlcore.bundle import read_bundle
from recognition.ml.config import IsolatedConfig
from recognition.ml.data import block_split
from recognition.ml.infer import IsolatedPredictor
from translation.ml.evaluate import char_error_rate
from translation.ml.fingerspell import heldout_phrases
from translation.ml.letterspeller import Fingerspeller

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def held_blocks(n: int, train: Any) -> set[int]:
    """Frame indices of a run of n frames in the letters bundle's validation and test blocks."""
    if train.split != "blocks":
        raise SystemExit(f"the first --letters bundle must be block-split, not {train.split!r}")
    split = block_split(n, train)
    return {i for a, b in split["val"] + split["test"] for i in range(a, b)}


def held_by_both(letters_bundle: str) -> dict[str, list[Path]]:
    train = IsolatedConfig.from_dict(read_bundle(letters_bundle).config).train
    out = {}
    for letter in LETTERS:
        frames = letter_frames(SHARED, letter)
        fs_start = len(frames) - len(heldout_frames(SHARED, letter)[0])
        blocks = held_blocks(len(frames), train)
        out[letter] = [p for i, p in enumerate(frames) if i >= fs_start and i in blocks]
    return out


def pause_picture() -> Path:
    """An empty grey picture of the SILFA frames' size (the signer out of view)."""
    from PIL import Image

    path = extraction_cache("fingerspelling") / "pause_grey.jpg"
    if not path.is_file():
        size = Image.open(letter_frames(SHARED, "A")[0]).size
        Image.new("RGB", size, (128, 128, 128)).save(path, quality=95)
    return path


def spotted(predictor: IsolatedPredictor, seq: Any) -> str:
    return "".join(s["topk"][0]["gloss"] for s in predictor.recognize(seq)["segments"]).lower()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", action="append", required=True,
                        help="isolated letters bundle (the first one fixes the clips' frames)")
    parser.add_argument("--speller", action="append",
                        help="fingerspelling bundle, either kind (default: "
                             "models/fingerspelling-ase-transformer)")
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause-frames", type=int, default=0,
                        help="frames of an empty grey picture between words (a pause with the "
                             "signer out of view): the references then have spaces and the "
                             "report adds the CER with spaces")
    parser.add_argument("--every", type=int, default=1,
                        help="read every N-th frame (2: the 15 fps a job reads from these 30 fps "
                             "clips, SLRWEB_EXTRACT_FPS)")
    parser.add_argument("--min-frames", type=int, default=0,
                        help="only words whose every letter keeps at least N held-out frames "
                             "and is in the first --letters bundle's vocabulary (J and Z are not): "
                             "the readers on letters as long as real spelling holds them, not on "
                             "letters the split starved")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ns = argparse.Namespace(isolated_dir=str(SHARED / "isolated"), heldout_fraction=0.15,
                            words=None, dev_sequences=40)
    test_words = sorted({w for p in heldout_phrases(ns, 1) for w in p.text.split()})
    frames = held_by_both(args.letters[0])
    if args.min_frames:
        known = set(read_bundle(args.letters[0]).vocabulary)
        test_words = [w for w in test_words
                      if all(c in known and len(frames[c]) >= args.min_frames for c in w.upper())]
    spellers = args.speller or ["models/fingerspelling-ase-transformer"]
    readers: dict[str, Any] = {b: Fingerspeller.from_bundle(b) for b in spellers}
    readers.update({b: IsolatedPredictor.from_bundle(b) for b in args.letters})
    texts: dict[str, list[str]] = {b: [] for b in spellers}
    refs: list[str] = []
    hyps: dict[str, list[str]] = {name: [] for name in readers}
    pause = [pause_picture()] * args.pause_frames
    spaced: list[str] = []
    for k in range(args.clips):
        words = clip_words(args.seed + k, test_words)
        paths = [p for w in words for p in [*pause, *(p for c in w.upper() for p in frames[c])]]
        seq = extract_frames([*paths, *pause], 30.0, 1)
        seq = cut(seq, 0, len(seq), args.every)
        refs.append("".join(words).lower())
        spaced.append(" ".join(words).lower())
        for name, reader in readers.items():
            if name in texts:  # a fingerspelling bundle: text, spaces where it saw pauses
                texts[name].append(reader.translate(seq)["text"])
                hyps[name].append(texts[name][-1].replace(" ", ""))
            else:
                hyps[name].append(spotted(reader, seq))
        print(refs[-1], *(hyps[n][-1] for n in readers), sep=" | ", flush=True)
    report = {
        "clips": args.clips, "seed": args.seed, "every": args.every, "min_frames": args.min_frames, "letters_held_out_by": args.letters[0],
        "frames_per_letter": {c: len(v) for c, v in frames.items()},
        "references": refs,
        "readers": {name: {"letters_only_cer": round(char_error_rate(h, refs), 4),
                           "readings": texts.get(name, h)} for name, h in hyps.items()},
    }
    if args.pause_frames:
        report["pause_frames"] = args.pause_frames
        for name, text in texts.items():
            report["readers"][name]["cer"] = round(char_error_rate(text, spaced), 4)
    for name, r in report["readers"].items():
        print(f"{name}: letters-only CER {r['letters_only_cer']}, CER {r.get('cer', '-')}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
