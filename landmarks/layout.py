"""The 543-point Holistic layout shared by every model and format in slrweb.

Points are stored in the order pose (33), face (468), left hand (21), right hand (21).
Left/right name the *signer's* hands. MediaPipe Holistic, given an unmirrored camera image,
reports `left_hand_landmarks` for the signer's left hand (it appears on the image's right side),
so we keep its naming. Coordinates are image-normalised: x to the right, y down, z depth
(smaller = closer), as MediaPipe gives them.
"""

from __future__ import annotations

from typing import Final

POSE: Final = slice(0, 33)
FACE: Final = slice(33, 501)
LEFT_HAND: Final = slice(501, 522)
RIGHT_HAND: Final = slice(522, 543)
NUM_POINTS: Final = 543

# Part order also indexes the presence mask's last axis.
PARTS: Final[dict[str, slice]] = {
    "pose": POSE,
    "face": FACE,
    "left_hand": LEFT_HAND,
    "right_hand": RIGHT_HAND,
}
PART_NAMES: Final[tuple[str, ...]] = tuple(PARTS)
PART_SIZES: Final[dict[str, int]] = {name: s.stop - s.start for name, s in PARTS.items()}

# Pose indices used for normalisation.
LEFT_SHOULDER: Final = 11
RIGHT_SHOULDER: Final = 12
