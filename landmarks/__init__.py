"""Landmark extraction and formats: pure Python/numpy, no Django imports.

Axis order everywhere: (frames T, points P=543, dims 3) with points ordered
pose 33, face 468, left hand 21, right hand 21 (MediaPipe Holistic legacy solution).
"Left" and "right" are the signer's own hands (see landmarks.layout).
"""

from landmarks.layout import NUM_POINTS, PARTS
from landmarks.sequence import LandmarkSequence

# Frames per second jobs read from a video (settings.SLRWEB_EXTRACT_FPS, the live camera's rate,
# `slrweb recognize --fps`): on spelled words from held-out frames the letters model read 0.714
# at 15 fps against 0.500 at 30 and 0.661 at 10, at half the extraction time of 30 fps
# (bench/RESULTS.md "Streaming ... frame sampling").
JOB_SAMPLE_FPS = 15

__all__ = ["JOB_SAMPLE_FPS", "NUM_POINTS", "PARTS", "LandmarkSequence"]
