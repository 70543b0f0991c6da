"""The correction loop, measured end to end on the live stack (issue 15 item 7).

The active isolated model (asl-alphabet: one signer's hands) reads real videos of another
person fingerspelling (SILFA); an annotator corrects every clip through the annotation API and
an admin accepts it; the admin's retrain (a Celery task) fine-tunes the active version on the
accepted corrections; the registry API's shadow evaluation scores candidate and active on the
held-out corrections (corpus.split, by video sha256: never trained on); the admin activates the
candidate over the API; then every held-out clip is submitted again as a new job.

Baselines in the same run: the active version on the same held-out corrections and clips; and a
second retrain on the same corrections drawn by their frames like the base data (what retraining
did before corpus.retrain.CORRECTION_SHARE), shadow-evaluated the same way, never activated.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_loop.py [--letters ABC...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.live import start_stack  # noqa: E402
from tests.support.loop import Loop, held_out_top1, letter_clips, reading  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
STATIC_LETTERS = "ABCDEFGHIKLMNOPQRSTUVWXY"  # SILFA's 24 (J and Z move; no asl-npz J/Z match)


def share(right: int, total: int) -> str:
    return f"{right}/{total} = {right / total:.3f}" if total else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", default=STATIC_LETTERS)
    parser.add_argument("--min-frames", type=int, default=12,
                        help="shortest clip; each letter's recording gives as many as fit")
    parser.add_argument("--active", default="asl-alphabet",
                        help="the isolated version made active before the loop")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp:
        clips = letter_clips(SHARED, Path(tmp) / "clips", args.letters, args.min_frames)
        stack = start_stack(Path(tmp) / "stack")
        try:
            loop = Loop.start(stack)
            active = loop.activate_named(args.active)["to_version"]
            jobs = loop.run_jobs(clips)
            before = [reading(job) for job in jobs]
            t0 = time.monotonic()
            changed = 0
            for clip, job, read in zip(clips, jobs, before, strict=True):
                loop.share(job["id"])
                loop.correct(job["id"], clip.letter)
                loop.accept(job["id"])
                changed += read != clip.letter
            loop.timed("annotate + review (API)", t0)
            task = loop.retrain()
            candidate = task["result"]["label"]
            figures = loop.shadow(task["version"])
            # Same run, same corrections: corrections drawn by their frames like base data.
            ablation = loop.retrain_in_worker(base_data=True, correction_share=None)
            by_frames = loop.shadow(ablation["version"])
            loop.activate(task["version"])
            held = [k for k, clip in enumerate(clips) if clip.split == "held_out"]
            after = [reading(job) for job in loop.run_jobs([clips[k] for k in held])]
        finally:
            stack.stop()
    splits = {s: sum(c.split == s for c in clips) for s in ("train", "dev", "held_out")}
    cand, segments = held_out_top1(figures, "candidate")
    base, _ = held_out_top1(figures, "active")
    # Held-out clips of letters with a corrected clip to learn from (the rest: other letters
    # of the same signer only).
    taught = {c.letter for c in clips if c.split == "train"}
    seen = [k for k in held if clips[k].letter in taught]
    summary = {
        "active": active, "candidate": candidate, "clips": len(clips), "splits": splits,
        "letters": args.letters,
        "clips_letter_split_frames": [(c.letter, c.split, c.frames) for c in clips],
        "corrections": changed, "annotated": len(clips),
        "trained_on": task["result"]["metrics"].get("correction_runs"),
        "held_out_corrections_top1": {"active": base, "candidate": cand, "segments": segments,
                                      "candidate_corrections_drawn_by_frames":
                                      held_out_top1(by_frames, "candidate")[0]},
        "held_out_jobs_right": {
            "before": share(sum(before[k] == clips[k].letter for k in held), len(held)),
            "after": share(sum(a == clips[k].letter for a, k in zip(after, held, strict=True)),
                           len(held))},
        "held_out_jobs_right_letter_corrected": {
            "before": share(sum(before[k] == clips[k].letter for k in seen), len(seen)),
            "after": share(sum(after[held.index(k)] == clips[k].letter for k in seen),
                           len(seen))},
        "held_out_readings": [(clips[k].letter, before[k], a)
                              for a, k in zip(after, held, strict=True)],
        "retrain_log": task["stage"], "timings_s": loop.timings,
        "total_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
