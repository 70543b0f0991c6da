"""jobs.exports: subtitles, overlay data, landmark formats, thumbnails (issue 7, downloads)."""

from __future__ import annotations

import html
import io
import math
from pathlib import Path

import numpy as np
import pytest
import webvtt

from jobs import exports
from landmarks.formats import read_landmarks
from landmarks.layout import FACE, LEFT_HAND, POSE, RIGHT_HAND

RESULT = {
    "landmarks": {"frames": 60, "fps": 30.0, "duration": 2.0},
    "recognition": {"model": "letters@1", "segments": [
        {"start": 0.0, "end": 0.8, "topk": [{"gloss": "A", "prob": 0.9}, {"gloss": "S", "prob": 0.05}]},
        {"start": 0.8, "end": 1.9, "topk": [{"gloss": "<B> & C", "prob": 0.6}]},
        {"start": 1.9, "end": 2.0, "topk": []},
    ]},
    "translation": {"model": "t@1", "text": "hallo\n\nwelt --> ok", "tokens": [], "glosses": []},
}


@pytest.fixture(scope="module")
def real_sequence(shared_data: Path):
    """Real Holistic landmarks (pose-format's MediaPipe example, 170 frames)."""
    return read_landmarks(shared_data / "poses" / "pose_repo" / "mediapipe.pose")


def test_connections_match_mediapipe():
    from mediapipe.python.solutions import face_mesh_connections, holistic

    assert set(exports.POSE_CONNECTIONS) == set(holistic.POSE_CONNECTIONS)
    assert set(exports.HAND_CONNECTIONS) == set(holistic.HAND_CONNECTIONS)
    assert set(exports.FACE_CONTOURS) == set(face_mesh_connections.FACEMESH_CONTOURS)


def test_webvtt_has_a_cue_per_segment_and_the_translation():
    text = exports.webvtt_from_result(RESULT)
    captions = webvtt.from_buffer(io.StringIO(text)).captions
    assert [(c.start, c.end, html.unescape(c.text)) for c in captions] == [
        ("00:00:00.000", "00:00:00.800", "A"),
        ("00:00:00.000", "00:00:02.000", "hallo welt -> ok"),
        ("00:00:00.800", "00:00:01.900", "<B> & C"),
    ]
    assert "&lt;B> &amp; C" in text  # escaped in the file, as WebVTT requires
    assert "-->" not in text.split("translation\n", 1)[1].splitlines()[1]


def test_webvtt_without_models_is_a_valid_empty_file():
    text = exports.webvtt_from_result({"landmarks": {"frames": 3}})
    assert text.startswith("WEBVTT\n")
    assert webvtt.from_buffer(io.StringIO(text)).captions == []


def test_result_duration_prefers_the_video_then_landmarks_then_segments():
    assert exports.result_duration(RESULT, 3.5) == 3.5
    assert exports.result_duration(RESULT) == 2.0
    assert exports.result_duration({"recognition": RESULT["recognition"]}) == 2.0
    assert exports.result_duration({}, float("nan")) == 0.0


@pytest.mark.parametrize("seconds, text", [
    (0, "00:00:00.000"), (1.2345, "00:00:01.234"), (61.5, "00:01:01.500"), (3723.004, "01:02:03.004"),
])
def test_format_timestamp(seconds, text):
    assert exports.format_timestamp(seconds) == text


def test_overlay_keeps_skeleton_points_with_nan_as_none(real_sequence):
    data = exports.overlay_landmarks(real_sequence)
    assert data["frames"] == len(real_sequence) == len(data["points"]) == len(data["timestamps"])
    indices = data["indices"]
    # pose 33 + both hands 42 + the 128 face contour points, nothing else
    assert len(indices) == 33 + 42 + 128
    assert set(range(POSE.start, POSE.stop)) <= set(indices)
    assert set(range(LEFT_HAND.start, RIGHT_HAND.stop)) <= set(indices)
    assert sum(FACE.start <= i < FACE.stop for i in indices) == 128
    frame = 0
    points = data["points"][frame]
    assert len(points) == 2 * len(indices)
    for k, index in enumerate(indices):
        x, y = real_sequence.points[frame, index, :2]
        if math.isnan(x):
            assert points[2 * k] is None
        else:
            assert points[2 * k] == round(float(x) * data["scale"])
            assert points[2 * k + 1] == round(float(y) * data["scale"])
    # this file has no left hand: its points are None, the right hand's are numbers
    left = [indices.index(i) for i in range(LEFT_HAND.start, LEFT_HAND.stop)]
    assert all(points[2 * k] is None for k in left)
    for part, pairs in data["connections"].items():
        assert pairs and all(0 <= a < len(indices) and 0 <= b < len(indices) for a, b in pairs), part


@pytest.mark.parametrize("suffix", [".npz", ".pose"])
def test_landmarks_bytes_round_trip(real_sequence, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    path.write_bytes(exports.landmarks_bytes(real_sequence, suffix))
    back = read_landmarks(path)
    assert len(back) == len(real_sequence)
    np.testing.assert_allclose(back.points[:, :, :2], real_sequence.points[:, :, :2], atol=1e-3)


def test_thumbnail_is_a_small_jpeg_of_the_real_video(pose_test_video, tmp_path):
    import cv2

    data = exports.thumbnail_jpeg(pose_test_video, width=160)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert data[:2] == b"\xff\xd8" and image.shape[1] == 160
    assert image.shape[0] == round(720 * 160 / 540)  # portrait clip keeps its aspect ratio
    assert image.std() > 10  # a picture, not a blank frame
    with pytest.raises(Exception):
        exports.thumbnail_jpeg(tmp_path / "missing.mp4")


def test_download_name_is_safe():
    assert exports.download_name("My clip (1).mp4", ".vtt") == "My-clip-1.vtt"
    assert exports.download_name("../../etc/passwd", ".json") == "passwd.json"
    assert exports.download_name("Ünïcødé.webm", "-landmarks.npz") == "Unicde-landmarks.npz"
    assert exports.download_name("", ".vtt") == "slrweb.vtt"


def test_low_confidence_words_group_pieces():
    tokens = [
        {"piece": "\u2581hal", "logprob": math.log(0.9)}, {"piece": "lo", "logprob": math.log(0.3)},
        {"piece": "<s>", "logprob": math.log(0.01)}, {"piece": "\u2581welt", "logprob": math.log(0.8)},
    ]
    assert [(w, round(p, 2), low) for w, p, low in exports.low_confidence_words(tokens)] == [
        ("hallo", 0.3, True), ("welt", 0.8, False),
    ]
