"""`.pose` files (pose-format library) <-> LandmarkSequence.

Reading maps components *by name* into the 543 layout: POSE_LANDMARKS, FACE_LANDMARKS,
LEFT_HAND_LANDMARKS, RIGHT_HAND_LANDMARKS, each point by its name ("LEFT_WRIST", "WRIST", face
"0".."467"). So the full Holistic file (576 points), the refined-face one (586: iris points
468-477 are dropped), the reduced one (178: 8 body points, 128 face points) and single-hand files
all load; what a file lacks is NaN. POSE_WORLD_LANDMARKS (metric 3-D, not image space) has no
place in the layout and is skipped. Masked points (confidence 0) are NaN.

Coordinates: pose-format's Holistic stores x, y in pixels (x * width, y * height) and z as
MediaPipe gives it; we divide x, y by the header's width and height and keep z as stored.
Writing produces the standard 576-point Holistic header of pose_format.utils.holistic (its
POSE_WORLD_LANDMARKS component is fully masked: we do not extract world coordinates).
"""

from __future__ import annotations

import os

import numpy as np

from landmarks.layout import NUM_POINTS, PART_POINT_NAMES, PARTS
from landmarks.sequence import LandmarkSequence

COMPONENT_OF_PART = {
    "pose": "POSE_LANDMARKS",
    "face": "FACE_LANDMARKS",
    "left_hand": "LEFT_HAND_LANDMARKS",
    "right_hand": "RIGHT_HAND_LANDMARKS",
}
DEFAULT_SIZE = 1000  # pose-format's load_holistic default canvas when the video size is unknown


def _pose_format():
    try:
        from pose_format import Pose
        from pose_format.numpy.pose_body import NumPyPoseBody
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(".pose support needs pose-format (pip install pose-format)") from error
    return Pose, NumPyPoseBody


def load_pose(path: str | os.PathLike[str], person: int = 0) -> LandmarkSequence:
    """Read a MediaPipe Holistic .pose file into the 543 layout (one person)."""
    Pose, _ = _pose_format()
    with open(path, "rb") as handle:
        pose = Pose.read(handle.read())
    header, body = pose.header, pose.body
    data = np.ma.getdata(body.data)[:, person].astype(np.float32)  # (T, P_file, D)
    confidence = np.asarray(body.confidence)[:, person]  # (T, P_file)
    scale = np.array([header.dimensions.width or 1, header.dimensions.height or 1, 1.0])
    points = np.full((len(data), NUM_POINTS, 3), np.nan, dtype=np.float32)
    found = []
    for part, component_name in COMPONENT_OF_PART.items():
        component = next((c for c in header.components if c.name == component_name), None)
        if component is None:
            continue
        found.append(component_name)
        source = _component_columns(header, component)
        targets = {name: PARTS[part].start + i for i, name in enumerate(PART_POINT_NAMES[part])}
        for point_name, column in source.items():
            if point_name not in targets:
                continue  # e.g. refined-face iris points 468-477
            xyz = data[:, column, :3] / scale[: data.shape[-1]]
            xyz[confidence[:, column] <= 0] = np.nan
            points[:, targets[point_name], : xyz.shape[1]] = xyz
    if not found:
        names = [c.name for c in header.components]
        raise ValueError(f"{path} is not a MediaPipe Holistic .pose file (components {names})")
    sequence = LandmarkSequence.from_points(points, fps=float(body.fps))
    sequence.meta.update(
        source={"width": header.dimensions.width, "height": header.dimensions.height},
        pose_components=[c.name for c in header.components],
    )
    return sequence


def _component_columns(header, component) -> dict[str, int]:
    """Point name -> column in the file's flat point axis."""
    offset = 0
    for candidate in header.components:
        if candidate is component:
            break
        offset += len(candidate.points)
    return {name: offset + i for i, name in enumerate(component.points)}


def save_pose(sequence: LandmarkSequence, path: str | os.PathLike[str]) -> None:
    """Write the standard 576-point Holistic .pose (x, y in pixels of the source size)."""
    Pose, NumPyPoseBody = _pose_format()
    from pose_format.pose_header import PoseHeader, PoseHeaderDimensions
    from pose_format.utils.holistic import holistic_components  # imports mediapipe

    source = sequence.meta.get("source") or {}
    width = int(source.get("width") or DEFAULT_SIZE)
    height = int(source.get("height") or DEFAULT_SIZE)
    components = holistic_components("XYZC")
    total = sum(len(c.points) for c in components)
    data = np.zeros((len(sequence), 1, total, 3), dtype=np.float32)
    data[:, 0, :NUM_POINTS] = np.nan_to_num(sequence.points) * np.array([width, height, 1.0])
    present = np.zeros((len(sequence), 1, total), dtype=np.float32)
    present[:, 0, :NUM_POINTS] = ~np.isnan(sequence.points).any(axis=-1)
    mask = np.repeat(present[..., None] == 0, 3, axis=-1)
    body = NumPyPoseBody(
        fps=float(sequence.fps), data=np.ma.masked_array(data, mask=mask), confidence=present
    )
    header = PoseHeader(
        version=0.2,
        dimensions=PoseHeaderDimensions(width=width, height=height, depth=0),
        components=components,
    )
    with open(path, "wb") as handle:
        Pose(header, body).write(handle)
