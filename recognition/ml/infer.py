"""The predictor a worker loads once per process: clip classification and sign spotting.

    predictor = IsolatedPredictor.from_bundle("models/silfa-letters")
    predictor.predict_clip(seq, top_k=5)   # [{"gloss": "C", "prob": 0.93}, ...]
    predictor.recognize(seq, top_k=5, on_progress=lambda percent: ...)
    # {"model": "silfa-letters", "segments": [{"start": 0.0, "end": 0.5, "topk": [...]}]}

Spotting slides a window over the clip; a window is "no sign" when too few of its frames show a
hand in signing space (detected and not resting below the shoulders) or when the top-1
probability is below the bundle's threshold. Consecutive windows with the same top-1 gloss merge
into one segment; runs shorter than min_windows are dropped as noise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from landmarks.sequence import LandmarkSequence
from mlcore.bundle import read_bundle
from recognition.ml.augment import resample_time
from recognition.ml.config import IsolatedConfig
from recognition.ml.features import active_hand_mask, build_features
from recognition.ml.model import IsolatedSignTransformer

ProgressFn = Callable[[int], None]
_CACHE: dict[tuple[str, str, float], IsolatedPredictor] = {}
_CACHE_LOCK = threading.Lock()
BATCH = 64  # windows per forward pass


class IsolatedPredictor:
    """A trained isolated-sign model with its features, vocabulary and spotting rules."""

    def __init__(self, model: IsolatedSignTransformer, config: IsolatedConfig,
                 vocabulary: list[str], name: str, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.config = config
        self.vocabulary = vocabulary
        self.name = name
        self.device = device

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "cpu") -> IsolatedPredictor:
        """Load (once per process: cached by folder, device and manifest time) a bundle."""
        root = Path(path).resolve()
        key = (str(root), device, (root / "bundle.json").stat().st_mtime)
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = cls._load(root, device)
            return _CACHE[key]

    @classmethod
    def _load(cls, root: Path, device: str) -> IsolatedPredictor:
        bundle = read_bundle(root)
        if bundle.task != "isolated":
            raise ValueError(f"{root} is a {bundle.task} bundle, not an isolated one")
        config = IsolatedConfig.from_dict(bundle.config)
        if config.model.num_classes != len(bundle.vocabulary):
            raise ValueError("bundle vocabulary and model disagree on the number of classes")
        model = IsolatedSignTransformer(config.model)
        model.load_state_dict(bundle.load_state_dict(device))
        return cls(model, config, bundle.vocabulary, bundle.name, device)

    @torch.no_grad()
    def probabilities(self, clips: list[np.ndarray]) -> np.ndarray:
        """(N, C) class probabilities of feature clips (T_i, F), padded and masked together."""
        longest = max(len(c) for c in clips)
        x = torch.zeros(len(clips), longest, clips[0].shape[1])
        mask = torch.zeros(len(clips), longest, dtype=torch.bool)
        for i, clip in enumerate(clips):
            x[i, : len(clip)] = torch.from_numpy(clip)
            mask[i, : len(clip)] = True
        logits, _ = self.model(x.to(self.device), mask.to(self.device))
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()

    def topk(self, probs: np.ndarray, top_k: int) -> list[dict[str, Any]]:
        order = np.argsort(-probs)[: max(1, top_k)]
        return [{"gloss": self.vocabulary[i], "prob": round(float(probs[i]), 4)} for i in order]

    def predict_clip(self, seq: LandmarkSequence, top_k: int = 5) -> list[dict[str, Any]]:
        """Top-k glosses of a whole clip (longer clips are resampled to max_frames)."""
        if len(seq) == 0:
            raise ValueError("empty landmark sequence")
        points = seq.points
        if len(points) > self.config.model.max_frames:
            points = resample_time(points, len(points) / self.config.model.max_frames)
        feats = build_features(points, self.config.features)
        return self.topk(self.probabilities([feats])[0], top_k)

    def recognize(self, seq: LandmarkSequence, top_k: int = 5,
                  on_progress: ProgressFn | None = None) -> dict[str, Any]:
        """Sliding-window sign spotting: segments with start/end seconds and top-k glosses."""
        spot = self.config.spotting
        if len(seq) == 0:
            if on_progress is not None:
                on_progress(100)
            return {"model": self.name, "segments": []}
        starts = window_starts(len(seq), spot.window, spot.stride)
        feats = build_features(seq.points, self.config.features)  # (T, F), once per clip
        active = active_hand_mask(seq.points, spot.rest_margin).any(axis=1)  # (T,)
        probs = np.zeros((len(starts), len(self.vocabulary)), dtype=np.float32)
        for a in range(0, len(starts), BATCH):
            batch = starts[a : a + BATCH]
            probs[a : a + len(batch)] = self.probabilities(
                [feats[s : s + spot.window] for s in batch])
            if on_progress is not None:
                on_progress(int(100 * (a + len(batch)) / len(starts)))
        decisions = []
        for s, p in zip(starts, probs, strict=True):
            busy = float(active[s : s + spot.window].mean())
            ok = busy >= spot.min_active and float(p.max()) >= spot.min_prob
            decisions.append(int(p.argmax()) if ok else None)
        segments = self._segments(seq, starts, decisions, probs, top_k)
        return {"model": self.name, "segments": segments}

    def _segments(self, seq: LandmarkSequence, starts: list[int], decisions: list[int | None],
                  probs: np.ndarray, top_k: int) -> list[dict[str, Any]]:
        spot = self.config.spotting
        bounds = ownership_bounds(starts, spot.window, len(seq))
        times = np.append(seq.timestamps, seq.duration)  # (T + 1,) frame start times, then end
        segments = []
        for first, last in merge_runs(decisions):
            if last - first + 1 < spot.min_windows:
                continue
            mean = probs[first : last + 1].mean(axis=0)
            segments.append({
                "start": round(float(times[bounds[first]]), 3),
                "end": round(float(times[bounds[last + 1]]), 3),
                "topk": self.topk(mean, top_k),
            })
        return segments


def window_starts(n: int, window: int, stride: int) -> list[int]:
    """Start frames of windows covering n frames (a last window ends exactly at n)."""
    if n == 0:
        return []
    last = max(0, n - window)
    starts = list(range(0, last + 1, max(1, stride)))
    if starts[-1] != last:
        starts.append(last)
    return starts


def ownership_bounds(starts: list[int], window: int, n: int) -> list[int]:
    """Frame boundaries: window k owns the frames nearest its centre, [b[k], b[k+1])."""
    centres = [s + min(window, n) / 2 for s in starts]
    inner = [int(round((a + b) / 2)) for a, b in zip(centres, centres[1:], strict=False)]
    return [0, *inner, n]


def merge_runs(decisions: list[int | None]) -> list[tuple[int, int]]:
    """Index ranges [first, last] of consecutive equal, non-None decisions."""
    runs: list[tuple[int, int]] = []
    for i, d in enumerate(decisions):
        if d is None:
            continue
        if runs and decisions[runs[-1][1]] == d and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
