"""The model card of an isolated-sign bundle: every number comes from the run's metrics."""

from __future__ import annotations

from typing import Any

from mlcore.card import ModelCard, table
from mlcore.card import pct as _pct
from recognition.ml.config import IsolatedConfig


def _results_table(metrics: dict[str, Any]) -> list[str]:
    return table(["model", "clip length", "test clips", "top-1", "top-5"], [
        [who, f"{key[4:]} frames", m["n"], _pct(m["top1"]), _pct(m["top5"])]
        for who, section in (("transformer", metrics["test"]),
                             ("logistic baseline", metrics["baseline"]))
        for key, m in section.items() if isinstance(m, dict)])


def _ablation_table(ablation: dict[str, dict[str, Any]]) -> list[str]:
    lengths = [k for k in next(iter(ablation.values())) if k.startswith("clip")]
    return table(["variant", "parameters", "val top-1",
                  *(f"test top-1 ({k[4:]} fr)" for k in lengths), "train s"], [
        [name, f"{row['parameters']:,}", _pct(row["val_top1"]),
         *(_pct(row[k]["top1"]) for k in lengths), row["train_seconds"]]
        for name, row in ablation.items()])


def _model_line(cfg: IsolatedConfig, parameters: int) -> str:
    m, f = cfg.model, cfg.features
    hands = " (dominant hand only, mirrored into the right-hand slot)" if f.dominant_hand else ""
    return (f"ST-Transformer (seed 000): parts {', '.join(f.parts)}{hands}; d_model {m.d_model}, "
            f"{m.n_layers} layers, {m.n_heads} heads; cross-modal attention (seed 003) "
            f"{'on' if m.cross_modal else 'off'}; velocity features "
            f"{'on' if m.velocity else 'off'}; {parameters:,} parameters.")


def _split_line(cfg: IsolatedConfig, metrics: dict[str, Any]) -> str:
    data, t = metrics["data"], cfg.train
    text = (f"Data: `{data['path']}` ({data['format']}, {data['frames']} frames in {data['runs']} "
            f"runs). Split `{t.split}`: " + ", ".join(
                f"{k} {v['frames']} frames / {v['runs']} runs" for k, v in metrics["split"].items()))
    if t.split == "participants":
        people = metrics.get("participants", {})
        val = (f"group {t.val_block} validation ({', '.join(people.get('val', []))})"
               if t.val_block >= 0 else "no validation group (the last epoch is kept)")
        return text + (f". Whole signers: participants sorted by id are dealt round robin into "
                       f"{t.n_blocks} groups; group {t.test_block} is test "
                       f"({', '.join(people.get('test', []))}), {val}, the rest "
                       f"({len(people.get('train', []))} people) training. No signer is in two "
                       "parts.")
    if t.split != "blocks":
        return text + "."
    return text + (f". Every run is cut into {t.n_blocks} contiguous blocks; block {t.val_block} "
                   f"is validation, block {t.test_block} is test, and {t.gap} frame(s) next to a "
                   "held-out block are left out of training, because neighbouring frames are "
                   "near-duplicates.")


def cv_table(cv: dict[str, Any]) -> list[str]:
    """Per-fold top-1 of the baseline and every variant, then the pooled row (markdown)."""
    names = list(cv["pooled"])
    pooled = cv["pooled"]
    rows = [[fold["fold"], ", ".join(fold["test_participants"]), fold["baseline"]["n"],
             *(_pct(c["top1"]) for c in
               [fold["baseline"], *(fold["variants"][n] for n in names[1:])])]
            for fold in cv["folds"]]
    rows.append([f"**all {cv['n_folds']} folds**", "every signer once", pooled["baseline"]["n"],
                 *(f"**{_pct(pooled[n]['top1'])}**" for n in names)])
    lines = [*table(["fold", "test signers", "clips", *names], rows), "",
             "Pooled: correct / clips over all folds. `baseline`: logistic regression on "
             "per-clip landmark statistics, trained on the same people in the same fold."]
    lines += signer_table(cv)
    if "ablation" in cv:
        fold = cv["ablation"]
        lines += ["", f"### Ablation: seed 003 cross-modal attention x velocity, fold "
                  f"{fold['fold']} (the shipped split), same people, seed and schedule", "",
                  *table(["variant", "val top-1", "test top-1", "test clips", "best epoch",
                          "train s"],
                         [["baseline", "-", _pct(fold["baseline"]["top1"]),
                           fold["baseline"]["n"], "-", "-"],
                          *([name, _pct(row["val_top1"]) if fold["val_participants"] else "-",
                             _pct(row["top1"]), row["n"],
                             row["best_epoch"], row["train_seconds"]]
                            for name, row in fold["variants"].items())])]
    return lines


def signer_table(cv: dict[str, Any]) -> list[str]:
    """Top-1 of each test signer (model variants and baseline), where the folds recorded it:
    which people the pooled errors come from."""
    names = list(cv["pooled"])
    rows = []
    for fold in cv["folds"]:
        series = [fold["baseline"], *(fold["variants"][n] for n in names[1:])]
        people = [c.get("per_participant", {}) for c in series]
        for who in sorted(people[0]):
            if all(who in p for p in people):
                rows.append([who, fold["fold"], people[0][who]["n"],
                             *(_pct(p[who]["top1"]) for p in people)])
    if not rows:
        return []
    return ["", "### Each signer (test fold; a signer's clips are all in one fold)", "",
            *table(["signer", "fold", "clips", *names], rows)]


def render_card(cfg: IsolatedConfig, vocab: list[str], metrics: dict[str, Any],
                notes: str = "") -> str:
    """Markdown card: data, licence (from notes), split, results vs baseline, command."""
    card = ModelCard(
        cfg.name, f"Isolated-sign classifier ({cfg.language}), {len(vocab)} glosses: "
        f"{' '.join(vocab)}.\n\n{notes.strip()}", commands=[metrics["command"]])
    card.add("Model", _model_line(cfg, metrics["parameters"]))
    card.add("Data split", _split_line(cfg, metrics))
    held_out = bool(metrics["split"].get("test", {}).get("runs"))
    card.add("Results (held-out test split, measured in the training run)",
             _results_table(metrics) if held_out else
             ["No held-out split (split `none`): every frame trained these weights."],
             (f"Best epoch {metrics['best_epoch']} of {cfg.train.epochs} by validation top-1 "
              f"({_pct(metrics['val_top1'])})" if metrics["split"].get("val", {}).get("runs")
              else f"Epoch {metrics['best_epoch']} of {cfg.train.epochs} (the last: no "
              "validation split)") + f"; training took {metrics['train_seconds']} s.")
    if metrics.get("extra_eval"):
        card.add("Other data, never trained on (single frames)", table(
            ["data", "labels", "frames", "transformer top-1", "baseline top-1"],
            [[f"`{name}`", len(row["labels"]), row["model"]["n"], _pct(row["model"]["top1"]),
              _pct(row["baseline"]["top1"])] for name, row in metrics["extra_eval"].items()]))
    if "cross_validation" in metrics:
        card.add("Signers never seen in training: k-fold by participant",
                 cv_table(metrics["cross_validation"]))
    if "ablation" in metrics:
        card.add("Ablation (same split, seed and schedule)", _ablation_table(metrics["ablation"]))
    return card.render()
