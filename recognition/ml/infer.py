"""The predictor a worker loads once per process: clip classification and sign spotting.

    predictor = IsolatedPredictor.from_bundle("models/silfa-letters")
    predictor.predict_clip(seq, top_k=5)   # [{"gloss": "C", "prob": 0.93}, ...]
    predictor.recognize(seq, top_k=5, on_progress=lambda percent: ...)
    # {"model": "silfa-letters", "segments": [{"start": 0.0, "end": 0.5, "topk": [...]}]}

Spotting slides a window over the clip and segments the windows' class posteriors with
recognition.ml.spotting.decode: a Viterbi path over {no sign, glosses} (the no-sign class is
trained, see recognition.ml.transitions; windows without a hand in signing space are no-sign),
which reads a letter signed twice from a no-sign dip between its runs or from a hold clearly
longer than that letter's measured hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from landmarks.hands import as_trained
from landmarks.sequence import LandmarkSequence
from mlcore.bundle import Bundle
from mlcore.predictors import PREDICTORS
from recognition.ml.augment import resample_time
from recognition.ml.config import IsolatedConfig
from recognition.ml.features import build_features
from recognition.ml.model import IsolatedSignTransformer
from recognition.ml.spotting import (
    NO_SIGN,
    Segment,
    decode,
    ownership_bounds,
    signing_mask,
    window_starts,
)

__all__ = ["IsolatedPredictor", "ownership_bounds", "window_starts"]

ProgressFn = Callable[[int], None]
BATCH = 64  # windows per forward pass


@dataclass
class Windows:
    """A clip's sliding windows as spotting reads them."""

    probs: np.ndarray  # (W, V) class posteriors
    busy: np.ndarray  # (W,) a hand is in signing space for enough of the window
    times: np.ndarray  # (W + 1,) start of each window's owned frames, then the clip's end


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
        return PREDICTORS.bundle(path, device, "isolated", cls._build)

    @classmethod
    def _build(cls, bundle: Bundle, device: str) -> IsolatedPredictor:
        return cls.from_parts(bundle, IsolatedConfig.from_dict(bundle.config), device)

    @classmethod
    def from_parts(cls, bundle: Bundle, config: IsolatedConfig,
                   device: str = "cpu") -> IsolatedPredictor:
        """The predictor of a read bundle whose config the caller parsed (a bundle of another
        task that carries an isolated model, e.g. translation.ml.letterspeller's)."""
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
        """The top_k glosses (never the no-sign class); ties go to the earlier gloss (stable
        sort of probabilities rounded to 4 decimals, so every CPU lists the same order)."""
        rounded = np.round(probs.astype(np.float64), 4)
        order = [i for i in np.argsort(-rounded, kind="stable")
                 if self.vocabulary[i] != NO_SIGN][: max(1, top_k)]
        return [{"gloss": self.vocabulary[i], "prob": float(rounded[i])} for i in order]

    def predict_clip(self, seq: LandmarkSequence, top_k: int = 5) -> list[dict[str, Any]]:
        """Top-k glosses of a whole clip (longer clips are resampled to max_frames)."""
        if len(seq) == 0:
            raise ValueError("empty landmark sequence")
        points = as_trained(seq, self.config.features.hand_recovery).points
        if len(points) > self.config.model.max_frames:
            points = resample_time(points, len(points) / self.config.model.max_frames)
        feats = build_features(points, self.config.features)
        return self.topk(self.probabilities([feats])[0], top_k)

    def recognize(self, seq: LandmarkSequence, top_k: int = 5,
                  on_progress: ProgressFn | None = None) -> dict[str, Any]:
        """Sliding-window sign spotting: segments with start/end seconds and top-k glosses."""
        windows = self.windows(seq, on_progress)
        if windows is None:
            return {"model": self.name, "segments": []}
        found = decode(windows.probs, windows.busy, self.vocabulary, self.config.spotting,
                       windows.times)
        return {"model": self.name, "segments": [
            self._segment(s, windows.times, windows.probs, top_k) for s in found]}

    def windows(self, seq: LandmarkSequence, on_progress: ProgressFn | None = None
                ) -> Windows | None:
        """What spotting decodes: each sliding window's class posteriors, whether a hand is
        busy in it, and the times its frames own (None for a clip without frames)."""
        spot = self.config.spotting
        seq = as_trained(seq, self.config.features.hand_recovery)
        if spot.fps and seq.fps:  # windows count frames at the rate they were trained at
            seq = seq.upsampled(round(spot.fps / seq.fps))
        if len(seq) == 0:
            if on_progress is not None:
                on_progress(100)
            return None
        starts = window_starts(len(seq), spot.window, spot.stride)
        feats = build_features(seq.points, self.config.features)  # (T, F), once per clip
        active = signing_mask(seq.points, spot.rest_margin)  # (T,)
        probs = np.zeros((len(starts), len(self.vocabulary)), dtype=np.float32)
        for a in range(0, len(starts), BATCH):
            batch = starts[a : a + BATCH]
            probs[a : a + len(batch)] = self.probabilities(
                [feats[s : s + spot.window] for s in batch])
            if on_progress is not None:
                on_progress(int(100 * (a + len(batch)) / len(starts)))
        # Counting frames (integers) keeps the activity rule exact on every machine.
        busy = np.array([2 * int(active[s : s + spot.window].sum()) >= 2 * spot.min_active
                         * len(active[s : s + spot.window]) for s in starts])
        bounds = ownership_bounds(starts, spot.window, len(seq))
        frame_times = np.append(seq.timestamps, seq.duration)  # (T + 1,) frame starts, then end
        return Windows(probs, busy, frame_times[bounds])

    def _segment(self, seg: Segment, times: np.ndarray, probs: np.ndarray,
                 top_k: int) -> dict[str, Any]:
        mean = probs[seg.first : seg.last + 1].astype(np.float64).mean(axis=0)
        topk = self.topk(mean, top_k)
        # The decoded gloss leads even where the mean ranks another first (Viterbi's choice).
        label = self.vocabulary[seg.label]
        if all(t["gloss"] != label for t in topk):
            topk = [{"gloss": label, "prob": round(float(mean[seg.label]), 4)}, *topk[:-1]]
        topk.sort(key=lambda t: t["gloss"] != label)
        return {"start": round(float(times[seg.first]), 3),
                "end": round(float(times[seg.last + 1]), 3), "topk": topk}

