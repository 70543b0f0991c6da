"""Issue 12 item 4 on the live stack: an admin enrols signs the active classifier does not know
(silfa-letters reads letters; hello and iloveyou are new to it) by uploading reference clips on
the gloss's admin page in Chromium; the stack's Celery worker embeds them with the active sign
embedding (models/asl-signs-embedding, registered by load_default_models under the task
"embedding") and the admin's task page follows it to the end; then a job of a DIFFERENT person
comes back with that sign.

References and queries are real clips of people the embedding never saw in training
(metrics.json embedding.held_out_participants): iloveyou from the MP_Data person akashcodes23,
hello from GISLR people 18796 and 22343; the queries are the first clip (train.csv order) of
the only other unseen iloveyou signer (rishi-11-2) and of the next unseen GISLR person (28656).
Landmark files (.npz) stand in for videos because these data sets are landmarks; the video
path (probe, MediaPipe in the worker) is exercised by one real video uploaded as a third
gloss's references with one recorded in the page (record_reference.js, Chromium's fake camera
playing real SILFA frames); two clips stay below the 3 a sign needs, so they change nothing.
The enrolled signs are deleted at the end: the stack is shared with other tests.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from landmarks.formats.npz import save_npz
from landmarks.formats.parquet import load_parquet
from tests.integration.helpers import auth, collect_events
from tests.registry.stack import shell
from tests.support.browser import chromium
from tests.support.videos import make_y4m

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(900)]
PASSWORD = "enrol-new-signs-please"
ISOLATED = "isolated"
REFERENCES = {  # gloss -> (data set, people, shots)
    "iloveyou": ("mpdata_multi", ("akashcodes23-realtime-sign-languagedetection",), 5),
    "hello": ("gislr_asl_signs_subset", ("18796", "22343"), 5),
}
QUERIES = {"iloveyou": ("mpdata_multi", "rishi-11-2-sign_language_detection"),
           "hello": ("gislr_asl_signs_subset", "28656")}
SOURCE_SIGN = {"thankyou": "thanks"}  # MP_Data's name of a sign


def clips(shared_data: Path, dataset: str, person: str, gloss: str) -> list[Path]:
    root = shared_data / ISOLATED / dataset
    sign = SOURCE_SIGN.get(gloss, gloss) if dataset == "mpdata_multi" else gloss
    with open(root / "train.csv") as fh:
        return [root / r["path"] for r in csv.DictReader(fh)
                if r["participant_id"] == person and r["sign"] == sign]


def npz(parquet: Path, out: Path) -> Path:
    save_npz(load_parquet(parquet), out)
    return out


def gloss_pk(stack, gloss: str) -> int:  # noqa: ANN001
    return int(shell(stack, ("from registry.models import Gloss; print(Gloss.objects.get("
                             f"language__code='ase', gloss={gloss!r}).pk)")))


def upload_landmarks(stack, token: str, path: Path) -> dict:  # noqa: ANN001
    import requests

    with open(path, "rb") as fh:
        response = requests.post(stack.url + "/api/v1/jobs/", headers=auth(token),
                                 files={"landmarks": (path.name, fh)},
                                 data={"language": "ase"}, timeout=120)
    assert response.status_code == 201, response.text
    return response.json()


def enrol_in_admin(page, stack, gloss: str, files: list[Path], signer: str,  # noqa: ANN001
                   record_seconds: float = 0) -> str:
    """Upload the clips on the gloss's admin page (and record one with the camera); follow
    the task to its end; the task page's text."""
    page.goto(f"{stack.url}/admin/registry/gloss/{gloss_pk(stack, gloss)}/change/")
    page.set_input_files("#id_add_references", [str(f) for f in files])
    if record_seconds:  # record_reference.js adds the recording to the same file input
        page.click("#reference-record")
        page.wait_for_selector("#reference-stop:not([disabled])")
        page.wait_for_timeout(int(record_seconds * 1000))
        page.click("#reference-stop")
        page.wait_for_selector("#reference-recorder[data-recorded='1']")
        assert page.eval_on_selector("#id_add_references", "i => i.files.length") == \
            len(files) + 1
    page.fill("#id_signer", signer)
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist")
    messages = page.inner_text("ul.messagelist")
    assert "embedding the reference clips" in messages, messages
    page.click("text=Follow its progress")
    page.wait_for_url("**/admin/registry/modelversion/tasks/**")
    # No reload by the test: task_progress.js polls and reloads once the worker is done.
    page.wait_for_selector("#registry-task[data-finished=true]", timeout=300_000)
    return str(page.inner_text("#content"))


def test_an_enrolled_sign_is_recognised_for_another_person(live_stack, shared_data, tmp_path,
                                                             pose_test_video):
    stack = live_stack
    shell(stack, (
        "from django.contrib.auth import get_user_model; from accounts.roles import assign_role;"
        f" u = get_user_model().objects.create_user('enroller', password={PASSWORD!r}); "
        "assign_role(u, 'admin'); print(u.pk)"))
    active = json.loads(shell(stack, (
        "import json; from registry.selectors import active_model; "
        "print(json.dumps({t: getattr(active_model('ase', t), 'label', None) "
        "for t in ('isolated', 'embedding')}))")))
    assert active["isolated"].startswith("silfa-letters@")  # letters: hello is not among them
    assert active["embedding"].startswith("asl-signs-embedding@")
    token = stack.token_for("enroller")
    try:
        camera = make_y4m(shared_data, "BCD", tmp_path / "camera.y4m")  # a real person
        with chromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                       f"--use-file-for-fake-video-capture={camera}"]) as browser:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(stack.url + "/admin/login/?next=/admin/")
            page.fill("#id_username", "enroller")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(stack.url + "/admin/")
            for gloss, (dataset, people, shots) in REFERENCES.items():
                paths = [p for person in people for p in clips(shared_data, dataset, person,
                                                               gloss)[:shots]][:shots]
                files = [npz(p, tmp_path / f"{gloss}-{k}.npz") for k, p in enumerate(paths)]
                text = enrol_in_admin(page, stack, gloss, files, ", ".join(people))
                assert f"{len(files)} clip(s) embedded, 0 failed" in text, text
            assert "enrolled signs: hello, iloveyou" in text, text
            # Real videos, an uploaded one and one recorded in the page (the fake camera plays
            # real frames): probed on upload, landmarks extracted by MediaPipe in the worker.
            text = enrol_in_admin(page, stack, "thankyou", [pose_test_video], "pose tests",
                                  record_seconds=2)
            assert "2 clip(s) embedded, 0 failed" in text, text
            assert "enrolled signs: hello, iloveyou" in text, text  # 2 clips < 3: not enrolled
            page.goto(f"{stack.url}/admin/registry/gloss/{gloss_pk(stack, 'thankyou')}/change/")
            inline = page.inner_text("#references-group")
            assert "pose_test_video.mp4" in inline and "recorded-1.webm" in inline, inline
            assert inline.count("asl-signs-embedding@") == 2, inline

        for gloss, (dataset, person) in QUERIES.items():
            query = npz(clips(shared_data, dataset, person, gloss)[0], tmp_path / "query.npz")
            job = upload_landmarks(stack, token, query)
            assert "recognition" in [s["name"] for s in job["stages"]]
            final = collect_events(stack, token, job["id"])[-1]
            assert final["type"] == "result", final
            recognition = final["result"]["recognition"]
            assert recognition["model"].startswith("silfa-letters@")
            assert recognition["enrolled"]["signs"] == ["hello", "iloveyou"]
            enrolled = [s for s in recognition["segments"] if s["source"] == "enrolled"]
            assert [s["topk"][0]["gloss"] for s in enrolled] == [gloss], recognition
    finally:
        shell(stack, (
            "from recognition.enrollment import delete_reference; "
            "from registry.models import ReferenceClip; "
            "[delete_reference(c) for c in ReferenceClip.objects.all()]; print('ok')"))
