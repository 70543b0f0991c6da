"""The model card of an isolated-sign bundle: every number comes from the run's metrics."""

from __future__ import annotations

from typing import Any

from recognition.ml.config import IsolatedConfig


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _results_table(metrics: dict[str, Any]) -> list[str]:
    lines = ["| model | clip length | test clips | top-1 | top-5 |", "|---|---|---|---|---|"]
    for who, section in (("transformer", metrics["test"]), ("logistic baseline",
                                                           metrics["baseline"])):
        for key, m in section.items():
            if isinstance(m, dict):
                lines.append(f"| {who} | {key[4:]} frames | {m['n']} | {_pct(m['top1'])} | "
                             f"{_pct(m['top5'])} |")
    return lines


def _ablation_table(ablation: dict[str, dict[str, Any]]) -> list[str]:
    lengths = [k for k in next(iter(ablation.values())) if k.startswith("clip")]
    head = " | ".join(f"test top-1 ({k[4:]} fr)" for k in lengths)
    lines = [f"| variant | parameters | val top-1 | {head} | train s |",
             "|---|---|---|" + "---|" * len(lengths) + "---|"]
    for name, row in ablation.items():
        cells = " | ".join(_pct(row[k]["top1"]) for k in lengths)
        lines.append(f"| {name} | {row['parameters']:,} | {_pct(row['val_top1'])} | {cells} | "
                     f"{row['train_seconds']} |")
    return lines


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
        return text + (f". Whole signers: participants sorted by id are dealt round robin into "
                       f"{t.n_blocks} groups; group {t.test_block} is test "
                       f"({', '.join(people.get('test', []))}), group {t.val_block} validation "
                       f"({', '.join(people.get('val', []))}), the rest "
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
    lines = ["| fold | test signers | clips | " + " | ".join(names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    for fold in cv["folds"]:
        cells = [fold["baseline"], *(fold["variants"][n] for n in names[1:])]
        lines.append(f"| {fold['fold']} | {', '.join(fold['test_participants'])} | "
                     f"{fold['baseline']['n']} | " + " | ".join(_pct(c["top1"]) for c in cells)
                     + " |")
    pooled = cv["pooled"]
    lines.append(f"| **all {cv['n_folds']} folds** | every signer once | "
                 f"{pooled['baseline']['n']} | "
                 + " | ".join(f"**{_pct(pooled[n]['top1'])}**" for n in names) + " |")
    lines += ["", "Pooled: correct / clips over all folds. `baseline`: logistic regression on "
              "per-clip landmark statistics, trained on the same people in the same fold."]
    if "ablation" in cv:
        fold = cv["ablation"]
        lines += ["", f"### Ablation: seed 003 cross-modal attention x velocity, fold "
                  f"{fold['fold']} (the shipped split), same people, seed and schedule", "",
                  "| variant | val top-1 | test top-1 | test clips | best epoch | train s |",
                  "|---|---|---|---|---|---|",
                  f"| baseline | - | {_pct(fold['baseline']['top1'])} | "
                  f"{fold['baseline']['n']} | - | - |"]
        for name, row in fold["variants"].items():
            lines.append(f"| {name} | {_pct(row['val_top1'])} | {_pct(row['top1'])} | "
                         f"{row['n']} | {row['best_epoch']} | {row['train_seconds']} |")
    return lines


def render_card(cfg: IsolatedConfig, vocab: list[str], metrics: dict[str, Any],
                notes: str = "") -> str:
    """Markdown card: data, licence (from notes), split, results vs baseline, command."""
    lines = [
        f"# {cfg.name}",
        "",
        f"Isolated-sign classifier ({cfg.language}), {len(vocab)} glosses: {' '.join(vocab)}.",
        "",
        notes.strip(),
        "",
        "## Model",
        _model_line(cfg, metrics["parameters"]),
        "",
        "## Data split",
        _split_line(cfg, metrics),
        "",
        "## Results (held-out test split, measured in the training run)",
        *_results_table(metrics),
        "",
        f"Best epoch {metrics['best_epoch']} of {cfg.train.epochs} by validation top-1 "
        f"({_pct(metrics['val_top1'])}); training took {metrics['train_seconds']} s.",
    ]
    if metrics.get("extra_eval"):
        lines += ["", "## Other data, never trained on (single frames)",
                  "| data | labels | frames | transformer top-1 | baseline top-1 |",
                  "|---|---|---|---|---|"]
        for name, row in metrics["extra_eval"].items():
            lines.append(f"| `{name}` | {len(row['labels'])} | {row['model']['n']} | "
                         f"{_pct(row['model']['top1'])} | {_pct(row['baseline']['top1'])} |")
    if "cross_validation" in metrics:
        lines += ["", "## Signers never seen in training: k-fold by participant",
                  *cv_table(metrics["cross_validation"])]
    if "ablation" in metrics:
        lines += ["", "## Ablation (same split, seed and schedule)",
                  *_ablation_table(metrics["ablation"])]
    lines += ["", "## Command", "", "```", metrics["command"], "```"]
    return "\n".join(lines)
