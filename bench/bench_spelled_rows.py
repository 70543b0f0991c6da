"""Words spelled in a row, as the outside checks of issue 12 item 3 and issue 13 item 4 read them.

A row is several words back to back, each letter the SILFA signer's whole recording of it
(--frames-per-letter K: its first K frames instead), at 30 fps with no pause between words, written
in each --encoding (bench_spelling.ENCODINGS) and read as the two commands read a video:

- `slrweb translate CLIP --json --model SPELLER` (models/fingerspelling-ase-text): every frame,
  hands recovered when the chain wants them, `run_chain`'s text; scored by letters-only CER (no
  pause, so no word space can be expected) and by CER against the words with spaces;
- `slrweb recognize CLIP --json --model LETTERS` (models/silfa-letters): extracted at the CLI's
  rate (JOB_SAMPLE_FPS), the segments' letters joined; letters-only CER.

The shipped bundles trained on every one of these frames, so this is NOT a held-out score: it is
the closest stand-in for the kept-back word videos (SILFA frames cut into words; the issue's clip
of HOLA CASA PERU MAPA SOL FIN read HOLACASAPERUNNAPASOLFCI before issue 12). It measures how
much the readings move with the encoder, which decides whether a pass here is one to count on.
Held-out accuracy is bench_spelling.py's and bench_speller_readers.py's.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_spelled_rows.py \\
        --speller models/fingerspelling-ase-text --letters models/silfa-letters \\
        --encoding h264 --encoding mpeg4 --encoding vp9 [--frames-per-letter 20]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from bench_spelling import ENCODINGS, SHARED, edit_distance, word_landmarks  # (sets sys.path)
from benchlib import extraction_cache

from landmarks import JOB_SAMPLE_FPS
from recognition.ml.infer import IsolatedPredictor
from translation.cli import bundle_chain
from tests.support.videos import silfa_frame_paths
from translation.ml.chain import run_chain, wants_hand_recovery
from translation.ml.evaluate import char_error_rate

ROWS = (
    ("HOLA", "CASA", "PERU", "MAPA", "SOL", "FIN"),  # the clip
    ("HELLO", "BALL", "PASS", "PERU", "MAPA"),
    ("FIN", "CUB", "COFFEE", "BOOK", "GYM"),
    ("WAX", "QUIT", "DRESS", "KNEE"),
)


def letters_only(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalpha())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speller", type=Path, help="a fingerspelling bundle (slrweb translate)")
    parser.add_argument("--letters", type=Path, help="an isolated letters bundle (recognize)")
    parser.add_argument("--encoding", action="append", choices=sorted(ENCODINGS))
    parser.add_argument("--frames-per-letter", type=int, default=0,
                        help="the first K frames of each letter (0: the whole recording)")
    parser.add_argument("--rows", type=int, default=len(ROWS), help="the first N rows of ROWS")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not (args.speller or args.letters):
        parser.error("give --speller, --letters or both")
    torch.set_num_threads(1)
    encodings = args.encoding or ["h264"]
    rows = ROWS[: args.rows]
    tag = f"row-k{args.frames_per_letter}"
    readers = {}
    if args.speller:
        chain = bundle_chain(args.speller)
        recovery = wants_hand_recovery(chain)
        readers["speller"] = (None, recovery, lambda seq, c=chain: run_chain(seq, c)["text"])
    if args.letters:
        predictor = IsolatedPredictor.from_bundle(args.letters)
        readers["letters"] = (float(JOB_SAMPLE_FPS), predictor.config.features.hand_recovery,
                              lambda seq, p=predictor: "".join(
                                  s["topk"][0]["gloss"] for s in p.recognize(seq)["segments"]))
    results: dict = {"frames_per_letter": args.frames_per_letter, "encodings": {}}
    for encoding in encodings:
        scored = {}
        for name, (sample_fps, recovery, read) in readers.items():
            cache = extraction_cache("spelled-rows", recovery)
            hyps, refs = [], []
            for words in rows:
                label = "-".join(words)
                # each letter's frames in order; a double letter is its frames twice
                paths = silfa_frame_paths(SHARED, "".join(words), args.frames_per_letter)
                _, seq = word_landmarks(label, paths, 30.0, 1, cache, tag, sample_fps, recovery,
                                        encoding)
                text = read(seq)
                hyps.append(text)
                refs.append(" ".join(words))
                print(encoding, name, label, "->", text, flush=True)
            flat_h, flat_r = [letters_only(h) for h in hyps], [letters_only(r) for r in refs]
            edits = sum(edit_distance(r, h) for r, h in zip(flat_r, flat_h))
            scored[name] = {
                "letters_only_cer": round(edits / sum(map(len, flat_r)), 4),
                "cer_with_spaces": round(char_error_rate([h.lower() for h in hyps],
                                                         [r.lower() for r in refs]), 4),
                "read": dict(zip((" ".join(w) for w in rows), hyps)),
            }
        results["encodings"][encoding] = scored
    summary = {name: {e: results["encodings"][e][name]["letters_only_cer"] for e in encodings}
               for name in readers}
    for name, per in summary.items():
        per["highest"] = max(per.values())
    results["letters_only_cer"] = summary
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
