"""asl-signs: k-fold cross-validation by participant, fold by fold, and the per-signer table.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_asl_signs_cv.py \
        --config recognition/ml/configs/asl-signs.json --folds 0,1 [--cache-dir DIR]

Trains the listed folds (recognition.ml.crossval.cross_validate, the config's own variant) on
the same data, aliases, clip preparation and fold keys as
`slrweb train-isolated --config CONFIG --data-format gislr --data <gislr subset>
--add-data gislr:<mpdata_multi> --cv`, into that command's fold cache (default
var/train/<name>/cv), so the command reads them instead of training them again and several
processes can fill the cache at once. Without --folds nothing is trained: the folds already in
the cache are reported (per fold, pooled, and top-1 per test signer for model and baseline) from
the config's own keys, so a cache of another config is never
mixed in.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recognition.ml.config import IsolatedConfig  # noqa: E402
from recognition.ml.crossval import cached_folds, cross_validate, variant_name  # noqa: E402
from recognition.ml.participants import load_sources, prepare_for_config  # noqa: E402
from recognition.ml.train import complete_config  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "isolated"
SOURCES = [("gislr", str(DATA / "gislr_asl_signs_subset")), ("gislr", str(DATA / "mpdata_multi"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--folds", help="comma-separated folds to train (default: report only)")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args()
    torch.set_num_threads(1)

    cfg = IsolatedConfig.from_dict(json.loads(args.config.read_text()))
    runs = prepare_for_config(load_sources(SOURCES), cfg)
    vocab = sorted({r.label for r in runs})
    cfg = complete_config(cfg, vocab)
    cache = args.cache_dir or ROOT / "var" / "train" / cfg.name / "cv"
    variant = (cfg.model.cross_modal, cfg.model.velocity)
    if args.folds:
        folds = [int(k) for k in args.folds.split(",")]
        cross_validate(cfg, runs, vocab, [variant], cache_dir=cache, only_folds=folds,
                       log=lambda line: print(line, flush=True))
        return
    present = cached_folds(cfg, runs, vocab, cache)  # report only: never train here
    if not present:
        sys.exit(f"no fold of this config in {cache}")
    out = cross_validate(cfg, runs, vocab, [variant], cache_dir=cache, only_folds=present,
                         log=lambda _: None)
    name = variant_name(variant)
    print(f"folds in cache: {present} of {cfg.train.n_blocks}")
    print("| fold | clips | baseline | model | val (model) |")
    print("|---|---|---|---|---|")
    for fold in out["folds"]:
        row = fold["variants"][name]
        val = f"{row['val_top1']:.1%}" if fold["val_participants"] else "-"
        print(f"| {fold['fold']} | {row['n']} | {fold['baseline']['top1']:.1%} | "
              f"{row['top1']:.1%} | {val} |")
    pooled = out["pooled"]
    print(f"| pooled | {pooled[name]['n']} | **{pooled['baseline']['top1']:.1%}** | "
          f"**{pooled[name]['top1']:.1%}** | |")
    print("\n| signer | fold | clips | baseline | model |\n|---|---|---|---|---|")
    for fold in out["folds"]:
        model_people = fold["variants"][name].get("per_participant", {})
        base_people = fold["baseline"].get("per_participant", {})
        for who, row in sorted(model_people.items()):
            base = base_people.get(who, {}).get("top1")
            print(f"| {who} | {fold['fold']} | {row['n']} | "
                  f"{'-' if base is None else f'{base:.1%}'} | {row['top1']:.1%} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
