"""Frames through a lossy video codec and back, the same pixels every time.

People upload compressed video, and MediaPipe finds other hand shapes in compressed pixels: the
SILFA words read at 0.93-1.00 letter accuracy from H.264, VP8 or VP9 and at 0.64 from MPEG-4
part 2 at FFmpeg's default bit rate (bench/RESULTS.md, bench_spelling.py --encoding). `recode`
gives a model's training frames as such a codec would deliver them (recognition.ml.frames:
`train.recoded`), and REPEATABLE_OPTIONS are what every encoder here needs to write the same
pixels from the same frames (tests/support/videos.write_video uses them too).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

# libx264's macroblock tree (on by default with CRF) made different pixels from the same frames
# in every run here (up to 75 grey levels apart; threads=1 did not help); without it the bytes
# are the same every time.
REPEATABLE_OPTIONS: dict[str, dict[str, str]] = {"libx264": {"x264-params": "mbtree=0"}}

# name -> (codec, options, bit rate in bit/s or 0 for the codec's quality setting): harsher than
# the encodings bench_spelling.py reads words from, so that a model trained on these is not
# scored on its own training encoder.
PRESETS: dict[str, tuple[str, dict[str, str], int]] = {
    "h264-crf40": ("libx264", {"crf": "40"}, 0),
    "mpeg4-300k": ("mpeg4", {}, 300_000),
}


def codec_options(codec: str, options: dict[str, str] | None = None) -> dict[str, str]:
    """`options` on top of what `codec` needs to be repeatable."""
    return {**REPEATABLE_OPTIONS.get(codec, {}), **(options or {})}


def recode(frames: Sequence[np.ndarray], preset: str, fps: float = 30.0) -> list[np.ndarray]:
    """RGB frames (H, W, 3) uint8 -> the same frames after `preset`'s encoder and a decoder."""
    import av

    if preset not in PRESETS:
        raise ValueError(f"unknown recode preset {preset!r}; known: {sorted(PRESETS)}")
    if not frames:
        return []
    codec, options, bit_rate = PRESETS[preset]
    height, width = frames[0].shape[:2]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream: Any = container.add_stream(
            codec, rate=Fraction(fps).limit_denominator(1001),
            options=codec_options(codec, options))
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        if bit_rate:
            stream.bit_rate = bit_rate
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(image[: stream.height, : stream.width]), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    buffer.seek(0)
    with av.open(buffer, "r") as reader:
        out = [frame.to_ndarray(format="rgb24") for frame in reader.decode(video=0)]
    if len(out) != len(frames):
        raise RuntimeError(f"{preset}: {len(frames)} frames in, {len(out)} out")
    return out
