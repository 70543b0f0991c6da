"""N-way K-shot sign enrollment on people never seen, leave-one-sign-out (issue 12 item 4).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_fewshot.py --holdout iloveyou \
        --out var/fewshot/iloveyou.json            # one embedding per held-out sign (or none)
    .venv/bin/python bench/bench_fewshot.py --report var/fewshot   # the table

People: models/asl-signs' own participant record. Its 14 training people train the embedding;
its 9 validation + test people (never in any embedding's training) are the pool: each is a query
person in turn, with K references per sign drawn from the *other* pool people. --holdout SIGN
also removes that sign from the embedding's training (every person), so its enrollment is of a
sign the embedding never saw. Letters (ASL alphabet hands, one signer) are always in training.
Baseline: class means of standardised per-clip landmark statistics (baseline.clip_statistics),
same draws. Classifier: models/asl-signs' top-1 on the same query clips (trained on all 3 signs,
100+ clips each, on the same 14 people; it used the 5 validation people to pick its epoch).
--save-bundle writes the embedding as a bundle with the measured numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "isolated"
SIGNS = ("hello", "iloveyou", "thankyou")
SHOTS = (1, 3, 5)


def load(config: object) -> tuple[list, list]:
    from recognition.ml.data import load_asl_npz
    from recognition.ml.participants import load_sources, prepare_for_config

    signs = prepare_for_config(load_sources([("gislr", str(DATA / "gislr_asl_signs_subset")),
                                             ("gislr", str(DATA / "mpdata_multi"))]), config)
    letters = load_asl_npz(DATA / "asl_alphabet_hands" / "asl_alphabet_hands.npz")
    return signs, letters


def people() -> tuple[set[str], set[str], set[str]]:
    parts = json.loads((REPO / "models/asl-signs/metrics.json").read_text())["participants"]
    return set(parts["train"]), set(parts["val"]) | set(parts["test"]), set(parts["test"])


def baseline_rows(cfg: object, signs: list, train: set[str], pool: set[str]) -> dict:
    from recognition.ml.baseline import clip_statistics
    from recognition.ml.enroll import few_shot_accuracy

    stats = np.stack([clip_statistics(r.points, cfg.features) for r in signs])  # type: ignore
    fit = stats[[r.participant in train for r in signs]]
    z = (stats - fit.mean(0)) / np.maximum(fit.std(0), 1e-6)  # scaler from training people only
    return {f"k{k}": few_shot_accuracy(z, signs, pool, pool, list(SIGNS), k) for k in SHOTS}


def classifier_row(signs: list, pool: set[str]) -> dict:
    from recognition.ml.features import build_features
    from recognition.ml.infer import IsolatedPredictor

    pred = IsolatedPredictor.from_bundle(REPO / "models/asl-signs")
    runs = [r for r in signs if r.participant in pool]
    probs = pred.probabilities([build_features(r.points, pred.config.features) for r in runs])
    hits = [pred.vocabulary[int(np.argmax(p))] == r.label for p, r in zip(probs, runs,
                                                                           strict=True)]
    return {"top1": round(float(np.mean(hits)), 4), "n": len(hits)}


def open_set(emb: np.ndarray, signs: list, pool: set[str], holdout: str) -> dict:
    """For each pool person who signs the held-out sign: enroll the two other signs (5 shots
    from the other pool people), then count that person's held-out-sign clips called unknown
    and their enrolled-sign clips accepted."""
    from recognition.ml.enroll import build_vocabulary, choose_references, nearest_mean

    rejected, accepted, threshold = [], [], []
    for person in sorted({r.participant for r in signs if r.label == holdout} & pool):
        known = [r for r in signs if r.participant in pool - {person} and r.label != holdout]
        refs = choose_references(known, 5, seed=0)
        where = {id(r): i for i, r in enumerate(signs)}
        vocab = build_vocabulary(emb[[where[id(r)] for r in refs]], refs)
        mine = [i for i, r in enumerate(signs) if r.participant == person]
        sims, _ = nearest_mean(emb[mine], vocab.means)
        ok = sims.max(axis=1) >= vocab.threshold
        is_new = np.array([signs[i].label == holdout for i in mine])
        rejected += list(~ok[is_new])
        accepted += list(ok[~is_new])
        threshold.append(vocab.threshold)
    return {"threshold_mean": round(float(np.mean(threshold)), 4),
            "unknown_rejected": round(float(np.mean(rejected)), 4),
            "known_accepted": round(float(np.mean(accepted)), 4),
            "n_new": len(rejected), "n_known": len(accepted)}


def run_variant(args: argparse.Namespace) -> dict:
    from recognition.ml.config import IsolatedConfig
    from recognition.ml.embedding import EmbeddingTrainConfig, embed_runs, train_embedding
    from recognition.ml.enroll import few_shot_accuracy

    cfg = IsolatedConfig.from_dict(json.loads((REPO / "models/asl-signs/config.json").read_text()))
    signs, letters = load(cfg)
    train, pool, test = people()
    held = None if args.holdout == "none" else args.holdout
    training = [r for r in signs if r.participant in train and r.label != held] + letters
    ecfg = EmbeddingTrainConfig(steps=args.steps, temperature=args.temperature,
                                instance_weight=args.instance_weight)
    model, info = train_embedding(cfg, training, ecfg, log=lambda s: print(s, file=sys.stderr))
    emb = embed_runs(model, cfg, signs)
    out = {"holdout": held, "train_people": sorted(train), "pool_people": sorted(pool),
           "embedding": info,
           "fewshot": {f"k{k}": few_shot_accuracy(emb, signs, pool, pool, list(SIGNS), k)
                       for k in SHOTS}}
    if held:
        out["open_set"] = open_set(emb, signs, pool, held)
    else:
        out["baseline"] = baseline_rows(cfg, signs, train, pool)
        out["classifier"] = classifier_row(signs, pool)
        out["classifier_test_only"] = classifier_row(signs, test)
    if args.save_bundle:
        save_bundle(args.save_bundle, model, cfg, info, out, args)
    return out


def save_bundle(path: Path, model: torch.nn.Module, cfg: object, info: dict, out: dict,
                args: argparse.Namespace) -> None:
    import dataclasses

    from mlcore.bundle import write_bundle
    from mlcore.card import ModelCard, table
    from recognition.ml.embedding import embedding_config

    full = embedding_config(cfg, info["settings"]["dim"])  # type: ignore[arg-type]
    full = dataclasses.replace(full, name=path.name)
    command = ("OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_fewshot.py "
               f"--holdout none --steps {args.steps} --instance-weight {args.instance_weight} "
               f"--save-bundle {path} "
               f"--out {args.out}")
    metrics = {"embedding": {**info, "train_participants": out["train_people"],
                             "held_out_participants": out["pool_people"]},
               "fewshot": out["fewshot"], "baseline": out["baseline"],
               "classifier": out["classifier"], "command": command}
    notes = REPO / "recognition/ml/cards/asl-signs-embedding.md"
    text = notes.read_text() if notes.is_file() else ""
    if text.startswith("# "):  # the card's title is the bundle's name
        text = text.partition("\n")[2]
    card = ModelCard(full.name, text, commands=[command]).add(
        "Measured in this run",
        table(["K", "embedding", "baseline (clip statistics)"],
              [[k, f"{out['fewshot'][f'k{k}']['top1']:.3f}",
                f"{out['baseline'][f'k{k}']['top1']:.3f}"] for k in SHOTS]),
        f"Classifier models/asl-signs on the same query clips: "
        f"{out['classifier']['top1']:.3f} (n {out['classifier']['n']}).")
    write_bundle(path, task="embedding", language=full.language, name=full.name,
                 config=full.to_dict(), state_dict=model.state_dict(), metrics=metrics,
                 card=card.render(), vocabulary=info["labels"])


def report(folder: Path) -> str:
    """Markdown table from the variant JSON files in folder."""
    rows = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    lines = ["| embedding trained without | " + " | ".join(f"K={k} all" for k in SHOTS)
             + " | " + " | ".join(f"K={k} held-out sign" for k in SHOTS) + " | unknown |",
             "|---" * (2 * len(SHOTS) + 2) + "|"]
    for name, r in rows.items():
        held = r["holdout"]
        alls = [f"{r['fewshot'][f'k{k}']['top1']:.3f}" for k in SHOTS]
        news = [f"{r['fewshot'][f'k{k}']['per_class'].get(held, 0):.3f}" if held else "-"
                for k in SHOTS]
        ops = r.get("open_set")
        unk = (f"{ops['unknown_rejected']} rejected / {ops['known_accepted']} accepted"
               if ops else "-")
        lines.append(f"| {held or '(nothing: all 3 signs)'} | " + " | ".join(alls + news)
                     + f" | {unk} |")
    base = rows.get("none")
    if base:
        lines.append("| baseline: clip statistics, class mean | " + " | ".join(
            f"{base['baseline'][f'k{k}']['top1']:.3f}" for k in SHOTS) + " | - | - | - | - |")
        lines.append(f"| classifier models/asl-signs (not few-shot) | "
                     f"{base['classifier']['top1']:.3f} (n {base['classifier']['n']}) "
                     "| | | | | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", choices=("none", *SIGNS), default="none")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.1, help="SupCon temperature")
    parser.add_argument("--instance-weight", type=float, default=0.0,
                        help="weight of the two-view instance contrast (0: off)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--save-bundle", type=Path)
    parser.add_argument("--report", type=Path, help="print the table of a folder's results")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        return 0
    torch.set_num_threads(1)
    out = run_variant(args)
    text = json.dumps(out, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "embedding"}, indent=1)[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
