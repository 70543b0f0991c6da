"""The test forward pass of a bundle before it is registered.

It loads the bundle through the same predictor class the workers use and runs it once on a
dummy clip (or dummy gloss line, for gloss-input translators). The output must be plain JSON
without NaN or infinity, because that is what a job stores: weights that produce NaN are
rejected here rather than in a user's result.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from landmarks.layout import NUM_POINTS
from landmarks.sequence import LandmarkSequence
from mlcore.bundle import Bundle
from registry.runtime import load_predictor, release_predictor

DUMMY_FRAMES = 16
DUMMY_FPS = 30.0


def dummy_sequence(frames: int = DUMMY_FRAMES, seed: int = 0) -> LandmarkSequence:
    """A clip with every part present: points scattered in the middle of the image."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.3, 0.7, size=(frames, NUM_POINTS, 3)).astype(np.float32)
    points[..., 2] = rng.normal(0.0, 0.05, size=(frames, NUM_POINTS))
    return LandmarkSequence.from_points(points, fps=DUMMY_FPS)


def run_smoke_test(bundle: Bundle) -> Any:
    """Run the bundle's predictor once; raise on any failure; return its output."""
    predictor = load_predictor(bundle.path, bundle.task)
    try:
        output = _forward(predictor, bundle)
    finally:
        release_predictor(predictor)
    try:
        json.dumps(output, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the output is not plain JSON without NaN: {exc}") from exc
    return output


def _forward(predictor: Any, bundle: Bundle) -> Any:
    if bundle.task == "isolated":
        # predict_clip exposes the probabilities; recognize is what a job calls.
        top_k = min(5, len(bundle.vocabulary))
        return {"clip": predictor.predict_clip(dummy_sequence(), top_k=top_k),
                "spotting": predictor.recognize(dummy_sequence(), top_k=top_k)}
    if bundle.task == "embedding":  # a vector per clip; nothing is enrolled at registration
        return {"embedding": [round(float(v), 6) for v in
                              predictor.embed(dummy_sequence().points)]}
    if bundle.task == "continuous":  # glosses with times, what the chain's glosser gives
        return predictor.recognize(dummy_sequence())
    if getattr(predictor, "input_kind", "landmarks") == "gloss":
        glosses = [g for g in bundle.vocabulary if not g.startswith("<")][:3]
        return predictor.translate_text([" ".join(glosses)], beam_size=1)
    return predictor.translate(dummy_sequence())
