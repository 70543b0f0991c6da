"""Isolated-sign model speed: latency per 64-frame clip, clips/s at batch 32, spotting speed.

For each bundle: forward-pass latency of one 64-frame clip (batch 1, median of --repeats), clips
per second at batch 32 (64 frames each), and `IsolatedPredictor.recognize` on a 20-second 30 fps
clip assembled from real SILFA landmarks (seconds of compute per second of video). The inputs of
the first two are real landmark features too (SILFA frames repeated), so masks and parts are as
in use.

    .venv/bin/python bench/bench_isolated.py [--model models/silfa-letters ...] [--device cuda]

--multisigner: top-1 of models/asl-signs on its own held-out test signers, per data set, next to
the clip-statistics baseline refitted on the bundle's training signers (seconds on a CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landmarks.sequence import LandmarkSequence  # noqa: E402
from recognition.ml.data import load_runs  # noqa: E402
from recognition.ml.features import build_features  # noqa: E402
from recognition.ml.infer import IsolatedPredictor  # noqa: E402
from recognition.ml.model import IsolatedSignTransformer  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def timed(fn, repeats: int, sync: bool) -> tuple[float, float]:
    """Median wall and process-CPU seconds of fn() over repeats, after two warm-up calls.

    The machine is shared: CPU seconds (all threads of this process) do not grow with other
    people's load the way wall seconds do."""
    for _ in range(2):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        if sync:
            torch.cuda.synchronize()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def with_seed003(predictor: IsolatedPredictor) -> IsolatedPredictor:
    """The same bundle's architecture with cross-modal attention and velocity features on
    (untrained weights: speed does not depend on their values)."""
    model_cfg = dataclasses.replace(predictor.config.model, cross_modal=True, velocity=True)
    config = dataclasses.replace(predictor.config, model=model_cfg)
    return IsolatedPredictor(IsolatedSignTransformer(model_cfg), config, predictor.vocabulary,
                             predictor.name + " + seed003 + velocity", predictor.device)


def bench_bundle(path: Path, points: np.ndarray, args: argparse.Namespace,
                 seed003: bool = False) -> dict:
    predictor = IsolatedPredictor.from_bundle(path, device=args.device)
    if seed003:
        predictor = with_seed003(predictor)
    feats = build_features(points[: args.frames], predictor.config.features)  # (64, F)
    sync = args.device.startswith("cuda")
    one = torch.from_numpy(feats)[None].to(args.device)
    many = one.expand(args.batch, -1, -1).contiguous()
    mask1 = torch.ones(one.shape[:2], dtype=torch.bool, device=args.device)
    mask32 = torch.ones(many.shape[:2], dtype=torch.bool, device=args.device)
    with torch.no_grad():
        latency = timed(lambda: predictor.model(one, mask1), args.repeats, sync)
        batch = timed(lambda: predictor.model(many, mask32), args.repeats, sync)
    fps = 30.0
    long = np.concatenate([points] * int(np.ceil(20 * fps / len(points))))[: int(20 * fps)]
    seq = LandmarkSequence.from_points(long, fps=fps)
    spot = timed(lambda: predictor.recognize(seq), max(1, args.repeats // 10), sync)
    return {
        "bundle": predictor.name,
        "params": sum(p.numel() for p in predictor.model.parameters()),
        "latency_ms": 1000 * latency[0],
        "latency_cpu_ms": 1000 * latency[1],
        "clips_per_s": args.batch / batch[0],
        "clips_per_cpu_s": args.batch / batch[1],
        "spot_s_per_video_s": spot[0] / seq.duration,
    }


def multisigner_table(bundle: Path) -> None:
    """Per data set top-1 on the bundle's test participants (never trained on) vs baseline."""
    from recognition.ml.baseline import make_baseline
    from recognition.ml.data import split_runs
    from recognition.ml.evaluate import evaluate_runs
    from recognition.ml.participants import load_sources, prepare_for_config

    predictor = IsolatedPredictor.from_bundle(bundle)
    cfg = predictor.config
    names = ("gislr_asl_signs_subset", "mpdata_multi")
    people = {n: {r.participant for r in load_runs("gislr", SHARED / "isolated" / n)}
              for n in names}
    runs = load_sources([("gislr", str(SHARED / "isolated" / n)) for n in names])
    splits = split_runs(prepare_for_config(runs, cfg), cfg.train)
    vocab, clip = predictor.vocabulary, cfg.train.eval_clip_lens[0]
    baseline = make_baseline(cfg, vocab).fit(splits["train"])
    print("| data set | test signers | clips | transformer top-1 | baseline top-1 |")
    print("|---|---|---|---|---|")
    for name in names:
        test = [r for r in splits["test"] if r.participant in people[name]]
        model = evaluate_runs(predictor.model, test, vocab, cfg.features, clip)
        base = baseline.evaluate(test, clip)
        print(f"| {name} | {len({r.participant for r in test})} | {model['n']} | "
              f"{100 * model['top1']:.1f}% | {100 * base['top1']:.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed003", action="store_true",
                        help="also time the first bundle with cross-modal attention + velocity")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--multisigner", action="store_true",
                        help="only the per-data-set accuracy table of models/asl-signs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.multisigner:
        multisigner_table(ROOT / "models" / "asl-signs")
        return
    runs = load_runs("gislr", SHARED / "isolated" / "silfa_fingerspelling")
    points = np.concatenate([r.points for r in runs])  # 558 real frames, letter after letter
    models = args.model or [ROOT / "models" / "silfa-letters", ROOT / "models" / "asl-alphabet"]
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor()
    print(f"device {args.device} ({device or platform.machine()}), torch {torch.__version__}, "
          f"{args.threads} threads, {args.frames} frames per clip")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"| bundle | parameters | latency per clip, batch 1: wall ms (CPU ms) | clips/s at batch "
          f"{args.batch}: wall (per CPU s) | spotting: s per video s |")
    print("|---|---|---|---|---|")
    variants = [(path, False) for path in models] + [(models[0], True)] * args.seed003
    for path, seed003 in variants:
        r = bench_bundle(path, points, args, seed003)
        print(f"| {r['bundle']} | {r['params']:,} | {r['latency_ms']:.1f} "
              f"({r['latency_cpu_ms']:.1f}) | {r['clips_per_s']:.0f} ({r['clips_per_cpu_s']:.0f}) "
              f"| {r['spot_s_per_video_s']:.3f} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
