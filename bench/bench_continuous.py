"""Continuous recognition on RWTH-BOSTON-104: CTC recogniser vs Gaussian-HMM baseline, gloss WER.

    .venv/bin/python bench/bench_continuous.py --folds 0,1,2,3 --variants default --jobs 4
    .venv/bin/python bench/bench_continuous.py --folds 0 --variants conv2,frame-loss --jobs 2
    .venv/bin/python bench/bench_continuous.py --report      # the table of what is measured

Each (fold, variant) runs as its own niced, single-threaded `slrweb evaluate-continuous`
process (the HMM baseline is trained in the same process as the default variant's CTC model);
rows are merged into --json by (fold, variant), so reruns replace their rows. Folds: 0 = the
database's sentence split, 1-3 = test signer man-1, woman-1, woman-2 (trained on the others).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from translation.ml.continuous.bundle import refresh_protocol, wer_table  # noqa: E402
from translation.ml.continuous.cli import _merge_rows  # noqa: E402

VARIANTS = {
    "default": [],  # pure CTC, no conv front, augmentation on; HMM baseline trained alongside
    "conv2": ["--conv-layers", "2", "--no-hmm"],  # + seed-001 depthwise-separable dilated convs
    "frame-loss": ["--frame-weight", "0.5", "--no-hmm"],  # + auxiliary frame-label head
    "no-augment": ["--no-augment", "--no-hmm"],
}


def run(folds: list[str], variants: list[str], jobs: int, out: Path, extra: list[str]) -> None:
    slrweb = str(ROOT / ".venv" / "bin" / "slrweb")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    todo = [(f, v) for v in variants for f in folds]
    running: list[tuple[subprocess.Popen[bytes], Path]] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench_continuous_"))
    while todo or running:
        while todo and len(running) < jobs:
            fold, variant = todo.pop(0)
            part = tmp / f"{variant}_{fold}.json"
            cmd = ["nice", "-n", "10", slrweb, "evaluate-continuous", "--folds", fold,
                   "--variant", variant, "--json-out", str(part), *VARIANTS[variant], *extra]
            print(" ".join(cmd[3:]), file=sys.stderr, flush=True)
            running.append((subprocess.Popen(cmd, env=env, cwd=ROOT,
                                             stdout=subprocess.DEVNULL), part))
        time.sleep(5)
        for proc, part in list(running):
            if proc.poll() is not None:
                running.remove((proc, part))
                if proc.returncode == 0 and part.is_file():
                    _merge_rows(out, json.loads(part.read_text()))
                else:
                    print(f"failed ({proc.returncode}): {part.name}", file=sys.stderr)


def report(out: Path) -> None:
    rows = json.loads(out.read_text())
    order = {"database split": 0, "test signer man-1": 1, "test signer woman-1": 2,
             "test signer woman-2": 3}
    rows.sort(key=lambda r: (r.get("variant") != "default", r.get("variant", ""),
                             order.get(r["fold"], 9)))
    print(wer_table(rows))
    for variant in dict.fromkeys(r.get("variant", "") for r in rows):
        signers = [r for r in rows if r.get("variant", "") == variant
                   and r["fold"].startswith("test signer")]
        if len(signers) < 3:
            continue
        means = {key: sum(r[key] for r in signers) / 3
                 for key in ("ctc_greedy_wer", "ctc_wer", "hmm_wer") if key in signers[0]}
        print(f"mean over the 3 held-out signers, {variant}: "
              + ", ".join(f"{k} {v:.3f}" for k, v in means.items()))
    print(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                      "load_average": os.getloadavg()}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="0,1,2,3")
    parser.add_argument("--variants", default="default")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "continuous.json"))
    parser.add_argument("--report", action="store_true", help="only print the table")
    parser.add_argument("--bundle", help="also put the rows into this bundle's metrics and card")
    args, extra = parser.parse_known_args()
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not args.report:
        run(args.folds.split(","), args.variants.split(","), args.jobs, out, extra)
    report(out)
    if args.bundle:
        refresh_protocol(args.bundle, json.loads(out.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
