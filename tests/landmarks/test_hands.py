"""Hands Holistic lost, found again by MediaPipe Hands (landmarks.hands), on SILFA's real frames:
Holistic alone loses the signer's right hand on most frames of the letter N."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from landmarks import hands
from landmarks.extract import extractor_settings, holistic_points, new_holistic, results_to_points
from landmarks.layout import NUM_POINTS, PARTS
from recognition.ml.frames import frame_files

RIGHT, LEFT = PARTS["right_hand"], PARTS["left_hand"]


def _present(points: np.ndarray, part: slice) -> np.ndarray:
    return ~np.isnan(points[:, part]).all(axis=(1, 2))


@pytest.fixture(scope="module")
def letter_n(shared_data: Path) -> dict[str, np.ndarray]:
    """SILFA's N (17 consecutive frames) read by Holistic alone and with recovery, in one
    tracking run each, plus the pose's right wrist (x, y) and the frames' size."""
    import cv2

    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
              for p in frame_files(shared_data / "video" / "silfa_frames" / "N")]
    alone, recovered, wrist = [], [], []
    with new_holistic() as graph:
        for image in images:
            results = graph.process(image)
            alone.append(results_to_points(results))
            wrist.append([results.pose_landmarks.landmark[16].x,
                          results.pose_landmarks.landmark[16].y])
    with pytest.MonkeyPatch.context() as patch, new_holistic() as graph:
        patch.setenv("SLRWEB_HAND_RECOVERY", "1")
        recovered = [holistic_points(graph, image) for image in images]
    return {"alone": np.stack(alone), "recovered": np.stack(recovered),
            "wrist": np.array(wrist, np.float32),
            "size": np.array(images[0].shape[1::-1], np.float32)}


def test_holistic_alone_loses_the_signing_hand_on_n(letter_n: dict[str, np.ndarray]) -> None:
    # The reason for the module: if a future MediaPipe keeps the hand, this test says so.
    assert _present(letter_n["alone"], RIGHT).sum() <= len(letter_n["alone"]) // 2


def test_recovery_finds_it_on_every_frame_at_the_pose_wrist(
        letter_n: dict[str, np.ndarray]) -> None:
    alone, recovered = letter_n["alone"], letter_n["recovered"]
    assert _present(recovered, RIGHT).all()
    lost = ~_present(alone, RIGHT)
    # The recovered hand is the right hand: its wrist is where the pose puts the right wrist
    # (within 40 px on this 852x480 frame), far from the left hand Holistic kept.
    scale = letter_n["size"]
    to_pose = np.linalg.norm((recovered[lost, RIGHT][:, 0, :2] - letter_n["wrist"][lost]) * scale,
                             axis=1)
    to_left = np.linalg.norm((recovered[lost, RIGHT][:, 0, :2]
                              - recovered[lost, LEFT][:, 0, :2]) * scale, axis=1)
    assert to_pose.max() < 40 and to_left.min() > 150
    # A full 21-point hand with Holistic's hand layout (finite x, y, z; tips above the wrist's
    # row on this raised fist's frame are not asserted: N is a closed hand).
    assert np.isfinite(recovered[:, RIGHT]).all()


def test_recovery_changes_nothing_holistic_found(letter_n: dict[str, np.ndarray]) -> None:
    alone, recovered = letter_n["alone"], letter_n["recovered"]
    kept = _present(alone, RIGHT)
    assert np.array_equal(recovered[kept], alone[kept])
    lost = ~kept
    others = np.ones(NUM_POINTS, bool)
    others[RIGHT] = False
    assert np.array_equal(recovered[lost][:, others], alone[lost][:, others], equal_nan=True)


def test_off_unless_switched_on(monkeypatch: pytest.MonkeyPatch, shared_data: Path,
                                        letter_n: dict[str, np.ndarray]) -> None:
    import cv2

    monkeypatch.delenv("SLRWEB_HAND_RECOVERY", raising=False)
    assert "hand_recovery" not in extractor_settings()  # the cache keys of before it existed
    monkeypatch.setenv("SLRWEB_HAND_RECOVERY", "1")
    assert extractor_settings()["hand_recovery"] is True
    monkeypatch.setenv("SLRWEB_HAND_RECOVERY", "0")
    with new_holistic() as graph:
        points = np.stack([
            holistic_points(graph, cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB))
            for p in frame_files(shared_data / "video" / "silfa_frames" / "N")])
    assert np.array_equal(points, letter_n["alone"], equal_nan=True)  # Holistic alone


def _pose(**wrists: tuple[float, float, float]) -> SimpleNamespace:
    """A pose_landmarks stand-in: shoulders 100 px apart on a 1000x1000 frame, given wrists
    (x, y, visibility)."""
    marks = [SimpleNamespace(x=0.5, y=0.5, visibility=1.0) for _ in range(33)]
    marks[hands.LEFT_SHOULDER] = SimpleNamespace(x=0.55, y=0.3, visibility=1.0)
    marks[hands.RIGHT_SHOULDER] = SimpleNamespace(x=0.45, y=0.3, visibility=1.0)
    for side, (x, y, visibility) in wrists.items():
        marks[hands.POSE_WRIST[side]] = SimpleNamespace(x=x, y=y, visibility=visibility)
    return SimpleNamespace(landmark=marks)


def _hand(x: float, y: float) -> np.ndarray:
    hand = np.zeros((21, 3), np.float32)
    hand[:, 0], hand[:, 1] = x, y
    return hand


def _assign(points: np.ndarray, pose: SimpleNamespace,
            detected: list[tuple[np.ndarray, str | None]]) -> dict[str, int]:
    sides = hands.missing_sides(points, pose)
    pose_xy = {side: np.array([pose.landmark[i].x, pose.landmark[i].y], np.float32)
               for side, i in hands.POSE_WRIST.items()}
    return hands.assign(points, pose_xy, detected, sides, np.array([1000, 1000], np.float32),
                        100.0)


def test_missing_sides_only_where_the_pose_wrist_is_in_the_picture() -> None:
    points = np.full((NUM_POINTS, 3), np.nan, np.float32)
    pose = _pose(right_hand=(0.4, 0.5, 0.9), left_hand=(0.6, 0.995, 0.9))  # left: at the border
    assert hands.missing_sides(points, pose) == ["right_hand"]
    pose = _pose(right_hand=(0.4, 0.5, 0.2), left_hand=(0.6, 0.5, 0.9))  # right: not visible
    assert hands.missing_sides(points, pose) == ["left_hand"]
    points[LEFT] = _hand(0.6, 0.5)
    assert hands.missing_sides(points, pose) == []
    assert hands.missing_sides(points, None) == []  # no person: Hands is never run


def test_assign_never_gives_the_kept_hand_twice() -> None:
    points = np.full((NUM_POINTS, 3), np.nan, np.float32)
    points[LEFT] = _hand(0.60, 0.50)
    # The right wrist is near the left hand: a hand Hands finds on the left one Holistic already
    # has is that hand, even when Hands names it the right one (0.8 shoulder widths away).
    pose = _pose(right_hand=(0.52, 0.50, 0.9), left_hand=(0.60, 0.50, 0.9))
    assert _assign(points, pose, [(_hand(0.601, 0.5), "right_hand")]) == {}
    # A second, free hand (a shoulder width from the kept one) near the right wrist fills it.
    assert _assign(points, pose, [(_hand(0.601, 0.5), None), (_hand(0.50, 0.5), None)]) == {
        "right_hand": 1}


def test_assign_distance_and_handedness() -> None:
    points = np.full((NUM_POINTS, 3), np.nan, np.float32)
    pose = _pose(right_hand=(0.40, 0.70, 0.9), left_hand=(0.60, 0.95, 0.9))
    near, far = _hand(0.40, 0.65), _hand(0.40, 0.60)  # 0.5 and 1.0 shoulder widths away
    assert _assign(points, pose, [(near, None)]) == {"right_hand": 0}
    assert _assign(points, pose, [(far, None)]) == {}  # too far, nothing names it
    assert _assign(points, pose, [(far, "right_hand")]) == {"right_hand": 0}
    assert _assign(points, pose, [(_hand(0.40, 0.40), "right_hand")]) == {}  # 3 widths: too far
    # One detected hand fills one side: the nearer pair wins.
    both = _pose(right_hand=(0.40, 0.70, 0.9), left_hand=(0.44, 0.70, 0.9))
    assert _assign(points, both, [(_hand(0.405, 0.70), None)]) == {"right_hand": 0}


def test_handedness_is_the_signers_own_side() -> None:
    # Hands assumes a selfie (mirrored) image; extraction feeds the unmirrored frame.
    assert hands.handedness_side("Left") == "right_hand"
    assert hands.handedness_side("Right") == "left_hand"


@pytest.fixture(scope="module")
def lost_hand_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 3.5 s clip of SILFA's N Q M N Q (two tracking segments): Holistic alone loses the
    signing hand on many of its frames."""
    from tests.support.videos import make_silfa_video

    return make_silfa_video(shared_data, "NQMNQ", tmp_path_factory.mktemp("hands") / "nqm.mp4")


def test_a_model_trained_without_recovery_reads_holistic_alone(
        monkeypatch: pytest.MonkeyPatch, lost_hand_clip: Path) -> None:
    """Extraction with recovery lists the hands it filled; as_trained(seq, False) takes exactly
    those away again (Hands never feeds Holistic's tracking), also on a cut of the clip, so
    that one extraction serves models trained either way (a job runs several)."""
    from landmarks.extract import extract_landmarks
    from landmarks.parallel import extract_landmarks_parallel

    monkeypatch.delenv("SLRWEB_HAND_RECOVERY", raising=False)
    alone = extract_landmarks(lost_hand_clip, sample_fps=15)
    found = extract_landmarks(lost_hand_clip, sample_fps=15, hand_recovery=True)
    assert hands.RECOVERED_KEY not in alone.meta and "hand_recovery" not in alone.meta
    assert found.meta["hand_recovery"] is True  # recorded with the extractor settings
    filled = found.meta[hands.RECOVERED_KEY]["right_hand"]
    lost = ~alone.presence[:, 3]
    assert len(filled) >= 5 and set(filled) == set(alone.timestamps[lost & found.presence[:, 3]])
    assert found.presence[:, 3].sum() > alone.presence[:, 3].sum()
    either = set(filled) | set(found.meta[hands.RECOVERED_KEY]["left_hand"])
    assert found.summary()["hands_recovered_frames"] == len(either)
    assert "hands_recovered_frames" not in alone.summary()

    assert hands.as_trained(found, True) is found
    again = hands.as_trained(found, False)
    assert np.array_equal(again.points, alone.points, equal_nan=True)
    assert np.array_equal(again.presence, alone.presence)
    cut = hands.as_trained(found.slice_time(1.0, 2.5), False)
    assert np.array_equal(cut.points, alone.slice_time(1.0, 2.5).points, equal_nan=True)

    # Two processes give the same landmarks and the same list (helpers send it with the frames).
    split = extract_landmarks_parallel(lost_hand_clip, workers=2, sample_fps=15,
                                       hand_recovery=True)
    assert split.meta["workers"] == 2
    assert np.array_equal(split.points, found.points, equal_nan=True)
    assert split.meta[hands.RECOVERED_KEY] == found.meta[hands.RECOVERED_KEY]


def test_as_trained_leaves_a_sequence_without_recovered_hands_alone() -> None:
    from landmarks.sequence import LandmarkSequence

    seq = LandmarkSequence.from_points(np.zeros((3, NUM_POINTS, 3), np.float32), fps=10)
    assert hands.as_trained(seq, False) is seq  # privacy-mode uploads, Holistic-alone extraction
    seq.meta[hands.RECOVERED_KEY] = {"left_hand": [], "right_hand": [0.1]}
    out = hands.as_trained(seq, False)
    assert out.presence[:, 3].tolist() == [True, False, True]
    assert hands.RECOVERED_KEY not in out.meta
    assert np.isnan(out.points[1, RIGHT]).all() and not np.isnan(out.points[1, LEFT]).any()
