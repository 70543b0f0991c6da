"""Baseline for whole-sign clips: logistic regression on per-clip landmark statistics.

Each clip becomes one fixed-length vector: the mean, standard deviation, minimum and maximum over
its frames of every normalised feature (features.build_features, absent parts ignored, 0 when a
part is never seen), plus the fraction of frames in which each part was detected and the clip's
length. No order, no temporal model: what a transformer adds over it is what it learns from
motion and timing. Trained in the same run, on the same training clips, as the model it is
reported next to.
"""

from __future__ import annotations

import warnings

import numpy as np

from recognition.ml.config import FeatureConfig, IsolatedConfig
from recognition.ml.data import Run
from recognition.ml.evaluate import LogisticBaseline, classification_metrics
from recognition.ml.features import build_features, feature_widths


def clip_statistics(points: np.ndarray, features: FeatureConfig) -> np.ndarray:
    """(T, 543, 3) landmarks -> (4F + P + 1,) statistics vector (float32, no NaN)."""
    feats = build_features(points, features)  # (T, F), NaN where a part is absent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: part never seen
        stats = [np.nanmean(feats, 0), np.nanstd(feats, 0), np.nanmin(feats, 0),
                 np.nanmax(feats, 0)]
    starts = np.cumsum((0, *feature_widths(features)))[:-1]
    presence = (~np.isnan(feats[:, starts])).mean(axis=0)  # (P,) one column per part
    vector = np.concatenate([*stats, presence, [np.log(len(feats))]])
    return np.nan_to_num(vector).astype(np.float32)


class ClipStatsBaseline:
    """StandardScaler + multinomial logistic regression on clip_statistics, one row a clip."""

    def __init__(self, features: FeatureConfig, vocab: list[str], seed: int = 0) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.features, self.vocab = features, vocab
        self.clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=0.1,
                                                                       random_state=seed))

    def _rows(self, runs: list[Run]) -> np.ndarray:
        return np.stack([clip_statistics(r.points, self.features) for r in runs])

    def fit(self, runs: list[Run]) -> ClipStatsBaseline:
        index = {g: i for i, g in enumerate(self.vocab)}
        known = [r for r in runs if r.label in index]
        self.clf.fit(self._rows(known), np.array([index[r.label] for r in known]))
        return self

    def probabilities(self, runs: list[Run]) -> np.ndarray:
        """(N, C) class probabilities over the whole vocabulary (unseen classes get 0)."""
        probs = np.zeros((len(runs), len(self.vocab)))
        if runs:
            probs[:, self.clf.classes_] = self.clf.predict_proba(self._rows(runs))
        return probs

    def evaluate(self, runs: list[Run], clip_len: int = 0) -> dict:
        """Metrics over whole runs (clip_len is accepted for LogisticBaseline's interface; a
        clip here is always the whole run)."""
        index = {g: i for i, g in enumerate(self.vocab)}
        known = [r for r in runs if r.label in index]
        labels = np.array([index[r.label] for r in known], dtype=int)
        return classification_metrics(self.probabilities(known), labels, self.vocab)


def make_baseline(cfg: IsolatedConfig, vocab: list[str]) -> LogisticBaseline | ClipStatsBaseline:
    """The baseline cfg.train.baseline names ("frames" or "clip-stats"), untrained."""
    kinds: dict[str, type[LogisticBaseline] | type[ClipStatsBaseline]] = {
        "frames": LogisticBaseline, "clip-stats": ClipStatsBaseline}
    if cfg.train.baseline not in kinds:
        raise ValueError(f"unknown baseline {cfg.train.baseline!r}; use {sorted(kinds)}")
    return kinds[cfg.train.baseline](cfg.features, vocab, cfg.train.seed)
