"""Landmark extraction and formats: pure Python/numpy, no Django imports.

Axis order everywhere: (frames T, points P=543, dims 3) with points ordered
pose 33, face 468, left hand 21, right hand 21 (MediaPipe Holistic legacy solution).
"Left" and "right" are the signer's own hands (see landmarks.layout).
"""

from landmarks.layout import NUM_POINTS, PARTS
from landmarks.sequence import LandmarkSequence

__all__ = ["NUM_POINTS", "PARTS", "LandmarkSequence"]
