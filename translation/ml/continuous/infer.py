"""ContinuousPredictor: a continuous-gloss bundle loaded once per process, then many clips.

    predictor = ContinuousPredictor.from_bundle("models/ase-continuous-glosses")
    predictor.recognize(seq)
    # {"model": "ase-continuous-glosses", "fps": 30.0, "decoder": "beam",
    #  "glosses": [{"gloss": "JOHN", "start": 0.27, "end": 0.4, "prob": 0.91}, ...]}

The clip's MediaPipe landmarks become the bundle's features at the training frame rate (30 fps,
BOSTON's), the recogniser gives per-frame gloss posteriors, the bundle's decoder (greedy, or
beam search with its bigram LM) picks the glosses, and a Viterbi CTC alignment of those glosses
gives each one's frames, hence its start/end seconds on the clip's own clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from landmarks.hands import as_trained
from landmarks.sequence import LandmarkSequence
from mlcore.bundle import Bundle, BundleError
from mlcore.predictors import PREDICTORS
from translation.ml.continuous.ctc import BeamSettings, align, beam_ids, greedy_ids
from translation.ml.continuous.features import FEATURE_SET, TRAIN_FPS, sequence_features
from translation.ml.continuous.lm import BigramLM
from translation.ml.continuous.model import CTCRecognizer
from translation.ml.continuous.train import ContinuousBundleConfig

LM_FILE = "gloss_lm.json"  # training gloss sentences of the bundle's LM


class ContinuousPredictor:
    """A trained CTC recogniser with its vocabulary, decoder settings and gloss LM."""

    def __init__(self, model: CTCRecognizer, vocab: list[str], name: str,
                 config: dict[str, Any], lm: BigramLM | None, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.vocab, self.name, self.config, self.lm, self.device = vocab, name, config, lm, device
        decode = config.get("decode") or {}
        self.beam = BeamSettings(**decode["beam"]) if decode.get("beam") else None
        self.feature_set = str(config.get("features", {}).get("set", FEATURE_SET))

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "cpu") -> ContinuousPredictor:
        """Load a bundle (once per process: cached by folder, device and manifest time)."""
        return PREDICTORS.bundle(path, device, "continuous", cls._build)

    @classmethod
    def _build(cls, bundle: Bundle, device: str) -> ContinuousPredictor:
        cfg = ContinuousBundleConfig.from_dict(bundle.config).model  # strict: unknown keys fail
        if cfg.vocab_size != len(bundle.vocabulary):
            raise BundleError("glosses.txt and the model disagree on the number of outputs")
        model = CTCRecognizer(cfg)
        model.load_state_dict(bundle.load_state_dict("cpu"))
        lm_path = bundle.path / LM_FILE
        lm = BigramLM(json.loads(lm_path.read_text())) if lm_path.is_file() else None
        return cls(model, bundle.vocabulary, bundle.name, bundle.config, lm, device)

    @torch.no_grad()
    def log_probs(self, feats: np.ndarray) -> np.ndarray:
        """(T', V) gloss log-probabilities per model step (T' = ceil(T / frame_stride))."""
        x = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))[None].to(self.device)
        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=self.device)
        return self.model(x, mask)[0].cpu().numpy()

    def decode_ids(self, log_probs: np.ndarray) -> list[int]:
        if self.beam is None:
            return greedy_ids(log_probs)
        return beam_ids(log_probs, self.vocab, self.lm, self.beam)

    def recognize_features(self, feats: np.ndarray, times: np.ndarray) -> list[dict[str, Any]]:
        """Glosses with start/end seconds: frame k of `feats` starts at times[k]."""
        if len(feats) == 0:
            return []
        lp = self.log_probs(feats)
        ids = self.decode_ids(lp)
        stride = self.model.cfg.frame_stride  # model step k covers frames k*stride...
        return glosses_with_times(lp, ids, self.vocab, times[::stride], stride / TRAIN_FPS)

    def recognize(self, seq: LandmarkSequence) -> dict[str, Any]:
        """Continuous glosses of a MediaPipe Holistic clip (resampled to the training rate)."""
        # Trained on hand tracks, never on hands landmarks.hands recovered.
        feats, times = sequence_features(as_trained(seq, False), self.feature_set)
        return {"model": self.name, "fps": TRAIN_FPS,
                "decoder": "greedy" if self.beam is None else "beam",
                "glosses": self.recognize_features(feats, times)}


def glosses_with_times(log_probs: np.ndarray, ids: list[int], vocab: list[str],
                       times: np.ndarray, frame_seconds: float) -> list[dict[str, Any]]:
    """[{gloss, start, end, prob}] from the CTC alignment of `ids`; prob = the gloss's highest
    frame posterior over its aligned frames."""
    out = []
    for gid, (first, last) in zip(ids, align(log_probs, ids), strict=True):
        prob = float(np.exp(log_probs[first : last + 1, gid].max()))
        out.append({"gloss": vocab[gid], "start": round(float(times[first]), 3),
                    "end": round(float(times[last]) + frame_seconds, 3),
                    "prob": round(prob, 4)})
    return out
