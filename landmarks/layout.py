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

# Point names as MediaPipe (and pose-format's Holistic components) spell them; face points are
# named by their index ("0".."467").
POSE_POINT_NAMES: Final[tuple[str, ...]] = (
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE",
    "RIGHT_EYE_OUTER", "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER",
    "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY",
    "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX", "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP",
    "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_HEEL",
    "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX",
)  # fmt: skip
HAND_POINT_NAMES: Final[tuple[str, ...]] = (
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP",
    "INDEX_FINGER_PIP", "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP",
    "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP", "MIDDLE_FINGER_TIP", "RING_FINGER_MCP",
    "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP", "PINKY_MCP", "PINKY_PIP",
    "PINKY_DIP", "PINKY_TIP",
)  # fmt: skip
FACE_POINT_NAMES: Final[tuple[str, ...]] = tuple(str(i) for i in range(468))
PART_POINT_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "pose": POSE_POINT_NAMES,
    "face": FACE_POINT_NAMES,
    "left_hand": HAND_POINT_NAMES,
    "right_hand": HAND_POINT_NAMES,
}
