"""Live mode fixtures: spelled words from held-out SILFA letters as the page would send them.

`spelled_clip` gives the landmarks (times in whole milliseconds, as live frames carry them) and
each letter's annotated span, from which benchmarks measure the time from the end of a sign to
its gloss on screen. `page_clip` packs a sequence for `slrweb.live.replay` in the page.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.sequence import LandmarkSequence
from tests.support.spelling import hands_out_of_view, held_out_letters, spell

REPO = Path(__file__).resolve().parents[2]
LETTERS_BUNDLE = REPO / "models" / "silfa-letters"
IDLE_FRAMES = 10  # hands_out_of_view's default rest between letters


def held_letters(shared_data: Path) -> dict[str, np.ndarray]:
    """Each SILFA letter's frames that the shipped letters model never trained on."""
    from recognition.ml.data import load_runs
    from recognition.ml.infer import IsolatedPredictor

    config = IsolatedPredictor.from_bundle(LETTERS_BUNDLE).config.train
    return held_out_letters(load_runs("gislr", shared_data / "isolated" / "silfa_fingerspelling"),
                            config)


def spelled_clip(held: dict[str, np.ndarray], word: str, fps: float = 15.0,
                 rest_after: float = 0.0
                 ) -> tuple[LandmarkSequence, list[tuple[str, float, float]]]:
    """(the spelled word at `fps`, times in whole ms; [(letter, start s, end s)] as signed).
    `rest_after` seconds of hands out of view follow (a camera keeps filming after the word)."""
    idle = hands_out_of_view(held["B"][0], frames=IDLE_FRAMES)
    spelled = spell(held, word, idle, fps=fps)
    rest = hands_out_of_view(held["B"][0], frames=round(rest_after * fps))
    points = np.concatenate([spelled.points, rest])
    stamps = np.round(np.arange(len(points)) / fps * 1000) / 1000
    spans, frame = [], IDLE_FRAMES
    for letter in word:
        length = 2 * len(held[letter])  # spell() shows each letter twice, then a rest
        spans.append((letter, float(stamps[frame]), float(stamps[frame + length - 1] + 1 / fps)))
        frame += length + IDLE_FRAMES
    assert frame == len(spelled), "tests.support.spelling.spell changed its layout"
    clip = LandmarkSequence.from_points(points, fps=fps, timestamps=stamps)
    return clip, spans


def page_clip(clip: LandmarkSequence) -> dict[str, Any]:
    """The argument of `slrweb.live.replay` after the page decodes it (see REPLAY_SCRIPT)."""
    data = np.ascontiguousarray(clip.points, dtype="<f4").tobytes()
    return {"points64": base64.b64encode(data).decode("ascii"),
            "timestamps": [float(t) for t in clip.timestamps]}


# Decode page_clip's float32 points in the page, then replay them through live mode.
REPLAY_SCRIPT = """clip => {
  const bytes = Uint8Array.from(atob(clip.points64), (c) => c.charCodeAt(0));
  return slrweb.live.replay({ points: new Float32Array(bytes.buffer), timestamps: clip.timestamps });
}"""
