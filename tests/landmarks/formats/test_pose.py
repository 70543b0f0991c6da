""".pose import/export on the real files in ../shared/data/poses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pose_format import Pose

from landmarks.formats.pose import load_pose, save_pose
from landmarks.layout import FACE, HAND_POINT_NAMES, NUM_POINTS, POSE_POINT_NAMES, RIGHT_HAND
from landmarks.sequence import LandmarkSequence

HOLISTIC_FILES = [
    "pose_repo/example_viewer.pose",  # full 576 points
    "pose_repo/6fb01565da31c5500d1ef2cd2906b06b.pose",  # refined face, 586 points
    "pose_repo/mediapipe.pose",  # reduced 178 points
    "pose_repo/mediapipe_hand_normalized.pose",  # right hand only
    "s2s_dummy_lexicon_sgg/essen.pose",
]


def read_library(path: Path) -> Pose:
    with open(path, "rb") as handle:
        return Pose.read(handle.read())


def library_point(pose: Pose, component: str, point: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) data and (T,) confidence of one named point, read with pose-format itself."""
    return (
        pose.get_components([component], {component: [point]}).body.data[:, 0, 0].filled(np.nan),
        np.asarray(pose.get_components([component], {component: [point]}).body.confidence)[:, 0, 0],
    )


@pytest.mark.parametrize("name", HOLISTIC_FILES)
def test_points_are_mapped_by_name(shared_data: Path, name: str) -> None:
    path = shared_data / "poses" / name
    original = read_library(path)
    seq = load_pose(path)
    assert seq.points.shape == (len(original.body.data), NUM_POINTS, 3)
    assert seq.fps == pytest.approx(float(original.body.fps))
    size = np.array([original.header.dimensions.width, original.header.dimensions.height])
    components = {c.name: c.points for c in original.header.components}
    checks = [("POSE_LANDMARKS", "LEFT_WRIST", POSE_POINT_NAMES.index("LEFT_WRIST"))]
    checks.append(("RIGHT_HAND_LANDMARKS", "INDEX_FINGER_TIP", RIGHT_HAND.start + 8))
    checks.append(("FACE_LANDMARKS", "13", FACE.start + 13))
    checked = 0
    for component, point, ours in checks:
        if point not in components.get(component, []):
            assert np.isnan(seq.points[:, ours]).all()
            continue
        data, confidence = library_point(original, component, point)
        present = confidence > 0
        np.testing.assert_allclose(
            seq.points[present, ours, :2], data[present, :2] / size, rtol=1e-5
        )
        assert np.isnan(seq.points[~present, ours]).all()
        checked += 1
    assert checked >= 1


def test_reduced_file_fills_only_its_points(shared_data: Path) -> None:
    seq = load_pose(shared_data / "poses/pose_repo/mediapipe.pose")
    pose_present = ~np.isnan(seq.points[:, :33, 0]).all(axis=0)
    assert pose_present.sum() == 8 and pose_present[POSE_POINT_NAMES.index("LEFT_SHOULDER")]
    assert (~np.isnan(seq.points[:, FACE, 0]).all(axis=0)).sum() == 128


def test_non_holistic_file_is_refused(shared_data: Path) -> None:
    with pytest.raises(ValueError, match="not a MediaPipe Holistic"):
        load_pose(shared_data / "poses/pose_repo/openpose.pose")


@pytest.mark.parametrize("name", HOLISTIC_FILES[:3])
def test_round_trip_through_our_writer(shared_data: Path, tmp_path: Path, name: str) -> None:
    seq = load_pose(shared_data / "poses" / name)
    save_pose(seq, tmp_path / "out.pose")
    again = load_pose(tmp_path / "out.pose")
    np.testing.assert_allclose(again.points, seq.points, rtol=1e-5, atol=1e-6)  # NaNs included
    written = read_library(tmp_path / "out.pose")
    assert [c.name for c in written.header.components] == [
        "POSE_LANDMARKS", "FACE_LANDMARKS", "LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS",
        "POSE_WORLD_LANDMARKS",
    ]  # fmt: skip
    assert written.header.components[2].points == list(HAND_POINT_NAMES)


def test_extracted_sequence_exports_in_pixels(
    pose_test_sequence: LandmarkSequence, tmp_path: Path
) -> None:
    save_pose(pose_test_sequence, tmp_path / "video.pose")
    written = read_library(tmp_path / "video.pose")
    assert (written.header.dimensions.width, written.header.dimensions.height) == (540, 720)
    nose = written.body.data[:, 0, 0, :2]
    np.testing.assert_allclose(nose, pose_test_sequence.points[:, 0, :2] * [540, 720], rtol=1e-5)
    again = load_pose(tmp_path / "video.pose")
    np.testing.assert_array_equal(again.presence, pose_test_sequence.presence)
