"""Evaluation: top-1/top-5/per-class accuracy, confusion matrix, and the logistic baseline."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recognition.ml.data import Run, collate, eval_clips
from recognition.ml.features import build_features
from recognition.ml.config import FeatureConfig
from recognition.ml.model import IsolatedSignTransformer


@torch.no_grad()
def predict_clips(
    model: IsolatedSignTransformer,
    clips: list[tuple[np.ndarray, int]],
    device: str = "cpu",
    batch_size: int = 64,
) -> np.ndarray:
    """Class probabilities (N, C) for feature clips, batched with padding masks."""
    model.eval()
    out = []
    for a in range(0, len(clips), batch_size):
        x, mask, _ = collate(clips[a : a + batch_size])
        logits, _ = model(x.to(device), mask.to(device))
        out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.cfg.num_classes), np.float32)


def classification_metrics(probs: np.ndarray, labels: np.ndarray, vocab: list[str]) -> dict:
    """top1, top5, per-class accuracy and the confusion matrix (rows: truth, cols: prediction)."""
    labels = np.asarray(labels, dtype=int)  # an empty split gives a float array otherwise
    n = len(labels)
    k = min(5, probs.shape[1])
    top = np.argsort(-probs, axis=1)[:, :k]
    confusion = np.zeros((len(vocab), len(vocab)), dtype=int)
    np.add.at(confusion, (labels, top[:, 0]), 1)
    per_class = {
        gloss: round(float(confusion[i, i] / confusion[i].sum()), 4)
        for i, gloss in enumerate(vocab)
        if confusion[i].sum()
    }
    return {
        "n": int(n),
        "top1": round(float((top[:, 0] == labels).mean()), 4) if n else 0.0,
        "top5": round(float((top == labels[:, None]).any(axis=1).mean()), 4) if n else 0.0,
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }


def evaluate_model(
    model: IsolatedSignTransformer, runs: list[Run], vocab: list[str],
    features: FeatureConfig, clip_len: int, device: str = "cpu",
) -> dict:
    """Metrics of the model on every non-overlapping clip of clip_len frames of runs."""
    clips = eval_clips(runs, vocab, features, clip_len)
    probs = predict_clips(model, clips, device)
    return classification_metrics(probs, np.array([y for _, y in clips]), vocab)


def evaluate_runs(
    model: IsolatedSignTransformer, runs: list[Run], vocab: list[str],
    features: FeatureConfig, clip_len: int, device: str = "cpu",
) -> dict:
    """evaluate_model's metrics plus what a report on other people's data needs: runs whose
    label is outside vocab counted by label (never scored), top-1 per participant, and every
    clip's prediction (so top-1 can be recomputed from them)."""
    index = {g: i for i, g in enumerate(vocab)}
    oov = Counter(r.label for r in runs if r.label not in index)
    clips, owners = [], []
    for run in runs:
        pieces = eval_clips([run], vocab, features, clip_len)  # [] when out of vocabulary
        clips += pieces
        owners += [run] * len(pieces)
    probs = predict_clips(model, clips, device)
    labels = np.array([y for _, y in clips], dtype=int)
    metrics = classification_metrics(probs, labels, vocab)
    top = np.argsort(-probs, axis=1)[:, : min(5, len(vocab))]
    metrics["out_of_vocabulary"] = int(sum(oov.values()))
    metrics["out_of_vocabulary_labels"] = dict(sorted(oov.items()))
    metrics["predictions"] = [
        {"id": run.ids[0], "participant": run.participant, "label": run.label,
         "predicted": vocab[best[0]], "top5": [vocab[i] for i in best],
         "prob": round(float(p[best[0]]), 4)}
        for run, best, p in zip(owners, top, probs, strict=True)]
    metrics["per_participant"] = per_participant(metrics["predictions"])
    return metrics


def per_participant(predictions: list[dict]) -> dict[str, dict]:
    """{participant: {"n", "top1"}} from evaluate_runs' predictions."""
    groups: dict[str, list[bool]] = {}
    for row in predictions:
        groups.setdefault(row["participant"], []).append(row["predicted"] == row["label"])
    return {who: {"n": len(hits), "top1": round(sum(hits) / len(hits), 4)}
            for who, hits in sorted(groups.items())}


def _static_rows(feats: np.ndarray) -> np.ndarray:
    """Per-frame baseline input: features with absent parts as 0 plus presence indicators."""
    present = ~np.isnan(feats)
    return np.concatenate([np.nan_to_num(feats), present.astype(np.float32)], axis=1)


class LogisticBaseline:
    """Logistic regression on the normalised per-frame landmarks; a clip's prediction is the
    mean of its frames' log-probabilities. Trained on the same training frames as the model."""

    def __init__(self, features: FeatureConfig, vocab: list[str], seed: int = 0) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.features, self.vocab = features, vocab
        self.clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0,
                                                                       random_state=seed))

    def fit(self, runs: list[Run]) -> LogisticBaseline:
        index = {g: i for i, g in enumerate(self.vocab)}
        rows = [_static_rows(build_features(r.points, self.features)) for r in runs]
        labels = [np.full(len(r), index[r.label]) for r in runs]
        self.clf.fit(np.concatenate(rows), np.concatenate(labels))
        return self

    def evaluate(self, runs: list[Run], clip_len: int) -> dict:
        clips = eval_clips(runs, self.vocab, self.features, clip_len)
        probs = np.zeros((len(clips), len(self.vocab)))
        classes = self.clf.classes_
        for i, (feats, _) in enumerate(clips):
            logp = self.clf.predict_log_proba(_static_rows(feats)).mean(axis=0)
            probs[i, :] = -np.inf
            probs[i, classes] = logp
        labels = np.array([y for _, y in clips])
        return classification_metrics(probs, labels, self.vocab)


def save_confusion_png(confusion: list[list[int]], vocab: list[str], path: str | Path,
                       title: str = "confusion") -> Path:
    """Row-normalised confusion matrix as a PNG (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(confusion, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    normed = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    size = max(4.0, 0.32 * len(vocab) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(normed, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(vocab)), vocab, rotation=90, fontsize=7)
    ax.set_yticks(range(len(vocab)), vocab, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def summarize(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics without the bulky per-class/confusion entries (for logs and tables)."""
    return {k: v for k, v in metrics.items()
            if k not in ("per_class", "confusion", "predictions", "per_participant")}
