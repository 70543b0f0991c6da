"""Metrics as the admin shows them: flattened, the headline numbers first, side by side."""

from __future__ import annotations

from typing import Any, TypeGuard

# Shown first (and in the list of versions) when a bundle reports them, in this order.
# Names as the trainers write them (recognition.ml.evaluate, translation.ml.evaluate).
HEADLINE = ("top1", "top5", "accuracy", "bleu4", "bleu", "chrf", "ctc_gloss_wer", "gloss_wer",
            "wer", "cer")
LOWER_IS_BETTER = ("ctc_gloss_wer", "gloss_wer", "wer", "cer", "loss")
# Sections of metrics.json that describe something else than the model itself.
NOT_HEADLINE = ("baseline", "ablation", "history", "retrain")


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"test": {"top1": 0.9}} -> {"test.top1": 0.9}; lists are left out (confusion matrices)."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, int | float | str | bool) or value is None:
            flat[name] = value
    return flat


def _rank(name: str) -> tuple[int, str]:
    leaf = name.rsplit(".", 1)[-1].lower()
    return (HEADLINE.index(leaf) if leaf in HEADLINE else len(HEADLINE), name)


def headline(metrics: dict[str, Any], limit: int = 3) -> list[tuple[str, Any]]:
    """The few numbers that summarise a version (for the list of versions)."""
    flat = {k: v for k, v in flatten(metrics).items() if k.split(".")[0] not in NOT_HEADLINE}
    picked = [k for k in sorted(flat, key=_rank) if _rank(k)[0] < len(HEADLINE)
              and isinstance(flat[k], int | float) and not isinstance(flat[k], bool)]
    return [(k, flat[k]) for k in picked[:limit]]


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def comparison(candidate: dict[str, Any], active: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows {name, value, active, better} for every metric either side reports.

    `better` is True/False when both are numbers and differ (None otherwise), using the
    metric's direction (WER and CER go down).
    """
    mine, theirs = flatten(candidate), flatten(active or {})
    rows = []
    for name in sorted(set(mine) | set(theirs), key=_rank):
        a, b = mine.get(name), theirs.get(name)
        better = None
        if _is_number(a) and _is_number(b) and a != b:
            lower = name.rsplit(".", 1)[-1].lower() in LOWER_IS_BETTER
            better = (a < b) if lower else (a > b)
        rows.append({"name": name, "value": format_value(a), "active": format_value(b),
                     "better": better})
    return rows


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
