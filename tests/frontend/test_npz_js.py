"""frontend/static/frontend/npz.js (the browser's landmarks file) read by numpy and the API.

Node runs the page's own script on a real sequence (a shared .pose file); the result must load
with numpy exactly and become a landmarks-only job.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import create_api_token
from landmarks.formats import read_landmarks
from tests.registry.corrections import LEXICON

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

NODE_SCRIPT = """
const fs = require("fs");
const { landmarksNpz } = require(process.argv[1]);
const own = (path) => Uint8Array.from(fs.readFileSync(path)).buffer;  // not node's shared pool
const points = new Float32Array(own(process.argv[2]));
const stamps = new Float64Array(own(process.argv[3]));
fs.writeFileSync(process.argv[5], landmarksNpz(points, stamps, Number(process.argv[4])));
"""


def browser_npz(sequence, tmp_path: Path) -> Path:  # noqa: ANN001
    script = Path(settings.BASE_DIR) / "frontend" / "static" / "frontend" / "npz.js"
    (tmp_path / "points.bin").write_bytes(sequence.points.astype("<f4").tobytes())
    (tmp_path / "stamps.bin").write_bytes(sequence.timestamps.astype("<f8").tobytes())
    out = tmp_path / "browser.npz"
    subprocess.run(["node", "-e", NODE_SCRIPT, str(script), str(tmp_path / "points.bin"),
                    str(tmp_path / "stamps.bin"), str(sequence.fps), str(out)],
                   check=True, timeout=30)
    return out


@pytest.fixture
def sequence(shared_data: Path):  # noqa: ANN201
    return read_landmarks(sorted((shared_data / LEXICON).glob("*.pose"))[0])


def test_numpy_reads_the_browsers_npz_exactly(sequence, tmp_path):
    assert np.isnan(sequence.points).any()  # missing parts travel as NaN
    with np.load(browser_npz(sequence, tmp_path), allow_pickle=False) as data:
        np.testing.assert_array_equal(data["points"], sequence.points)
        np.testing.assert_array_equal(data["timestamps"], sequence.timestamps)
        assert float(data["fps"]) == sequence.fps


@pytest.mark.django_db
def test_the_browsers_npz_becomes_a_landmarks_only_job(sequence, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = None
    client = Client(HTTP_AUTHORIZATION=f"Token {create_api_token('npzjs').key}")
    data = browser_npz(sequence, tmp_path).read_bytes()
    response = client.post("/api/v1/jobs/", {"landmarks": SimpleUploadedFile("clip.npz", data)})
    assert response.status_code == 201, response.json()
    assert response.json()["result"]["landmarks"]["frames"] == len(sequence)
