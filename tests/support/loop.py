"""The correction loop driven over a live stack's real interfaces (issue 15 item 7).

Shared by tests/integration/test_loop.py (smallest size) and bench/bench_loop.py (measured run):

    clips   real videos of the SILFA signer's letters (../shared/data/video/silfa_frames), each
            letter's frames cut into contiguous pieces with `GAP` frames dropped between them, so
            no two clips share a frame or its near-duplicate neighbour. corpus.split decides from
            each file's sha256 which clips are held out, as the registry does for the jobs.
    jobs    uploaded through the jobs API; the active isolated model reads them (MediaPipe, then
            sign spotting), and the owner shares them for review.
    correct an annotator marks each clip as the letter it is (the API, or the workspace in
            Chromium), an admin accepts it (the review API).
    retrain the admin page's retrain form (a Celery task), polled over the registry API.
    shadow  the registry API's shadow evaluation: candidate vs active on held-out corrections.
    switch  activation over the registry API; then a new job of a held-out clip.

Nothing here decides what a model reads: every figure comes from the stack's answers.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests

from corpus.split import split_of
from tests.integration.helpers import auth, upload, wait_for_job
from tests.integration.live import LiveStack
from tests.support.videos import read_rgb, silfa_frame_paths, write_video

PASSWORD = "loop-horse-battery-staple"
GAP = 2  # frames dropped between two clips of one letter (neighbouring frames look alike)
# MPEG-4 part 2: libx264 does not write the same bytes twice for the same frames, and a clip's
# bytes decide its split (corpus.split.split_key), so the loop would change from run to run.
CODEC = "mpeg4"
USERS = """
from django.contrib.auth import get_user_model
from accounts.roles import assign_role
users = get_user_model().objects
users.create_user("owen", password={password!r})
for name, role in (("anna", "annotator"), ("ada", "admin")):
    assign_role(users.create_user(name, password={password!r}), role)
print("ok")
"""


@dataclass
class Clip:
    letter: str
    path: Path
    split: str  # corpus.split of the file's sha256: train, dev or held_out
    frames: int


def letter_clips(shared_data: Path, out_dir: Path, letters: Iterable[str],
                 min_frames: int = 12) -> list[Clip]:
    """Each letter's recording cut into as many contiguous clips of >= min_frames as fit."""
    clips = []
    for letter in letters:
        paths = silfa_frame_paths(shared_data, letter)
        pieces = max(1, (len(paths) + GAP) // (min_frames + GAP))
        edges = np.linspace(0, len(paths) + GAP, pieces + 1).round().astype(int)
        for k in range(pieces):
            a, b = int(edges[k]), int(edges[k + 1]) - GAP
            path = write_video((read_rgb(p) for p in paths[a:b]),
                               out_dir / f"{letter}{k}.mp4", codec=CODEC)
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            clips.append(Clip(letter, path, split_of(sha), b - a))
    return clips


def reading(job: dict[str, Any]) -> str:
    """What a job's isolated recognition read: the top-1 gloss of each segment."""
    segments = ((job.get("result") or {}).get("recognition") or {}).get("segments") or []
    return " ".join(s["topk"][0]["gloss"] for s in segments if s.get("topk"))


@dataclass
class Loop:
    """The users of one live stack and the calls each makes."""

    stack: LiveStack
    owner: str = ""
    annotator: str = ""
    admin: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def start(cls, stack: LiveStack) -> Loop:
        stack.manage("shell", "-c", USERS.format(password=PASSWORD))
        return cls(stack, stack.token_for("owen"), stack.token_for("anna"),
                   stack.token_for("ada"))

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = requests.request(method, self.stack.url + "/api/v1" + path,
                                    headers=auth(token), timeout=120, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def timed(self, name: str, started: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + time.monotonic() - started, 1)

    # -- registry (admin token) --
    def isolated_versions(self) -> list[dict[str, Any]]:
        return self.api("GET", "/registry/versions/?language=ase&task=isolated", self.admin)

    def activate(self, version_id: int) -> dict[str, Any]:
        return self.api("POST", f"/registry/versions/{version_id}/activate", self.admin)

    def activate_named(self, name: str) -> dict[str, Any]:
        """Activate the newest registered isolated version called `name`."""
        version = next(v for v in self.isolated_versions() if v["name"] == name)
        return self.activate(version["id"])

    def wait_task(self, task_id: str, timeout: float = 900) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.api("GET", f"/registry/tasks/{task_id}/", self.admin)
            if task["status"] in ("succeeded", "failed"):
                assert task["status"] == "succeeded", (task, self.stack.log("worker")[-3000:])
                return task  # type: ignore[no-any-return]
            time.sleep(1)
        raise AssertionError(f"registry task {task_id} did not finish")

    def shadow(self, version_id: int, jobs: int = 50) -> dict[str, Any]:
        started = time.monotonic()
        task = self.api("POST", f"/registry/versions/{version_id}/shadow", self.admin,
                        json={"jobs": jobs})
        self.wait_task(task["id"])
        figures = self.api("GET", f"/registry/versions/{version_id}/shadow", self.admin)
        self.timed("shadow evaluation", started)
        return figures["figures"]  # type: ignore[no-any-return]

    def retrain(self) -> dict[str, Any]:
        """The admin's retrain page (a worker task); returns the finished task."""
        started = time.monotonic()
        session = requests.Session()
        login = self.stack.url + "/admin/login/"
        session.get(login, timeout=60)
        answer = session.post(login, timeout=60, data={
            "username": "ada", "password": PASSWORD, "next": "/admin/",
            "csrfmiddlewaretoken": session.cookies["csrftoken"]})
        assert answer.ok and "/admin/login/" not in answer.url, answer.text[:500]
        page = self.stack.url + "/admin/registry/modelversion/retrain/"
        form = session.get(page, timeout=60).text
        language = re.search(r'<option value="(\d+)"[^>]*>[^<]*\(?ase', form)
        assert language, form[:2000]
        answer = session.post(page, timeout=60, headers={"Referer": page}, data={
            "language": language.group(1), "task": "isolated", "epochs": "",
            "base_data": "on", "csrfmiddlewaretoken": session.cookies["csrftoken"]})
        task_id = re.search(r"/tasks/([0-9a-f-]{36})/", answer.url)
        assert task_id, (answer.url, answer.text[:2000])
        task = self.wait_task(task_id.group(1))
        self.timed("retrain (worker task)", started)
        return task

    def retrain_in_worker(self, **params: Any) -> dict[str, Any]:
        """A retrain task with parameters the admin form does not offer (an ablation), queued
        to the same Celery worker from the stack's shell; polled over the registry API."""
        code = ("from registry.background import start; from registry.models import "
                "SignLanguage; from django.db import transaction\n"
                "with transaction.atomic():\n"
                "    row = start('retrain', language=SignLanguage.objects.get(code='ase'), "
                f"task='isolated', params={params!r})\n"
                "print(row.pk)")
        task_id = self.stack.manage("shell", "-c", code).strip().splitlines()[-1]
        return self.wait_task(task_id)

    # -- jobs (owner token) --
    def run_jobs(self, clips: list[Clip]) -> list[dict[str, Any]]:
        """Upload every clip as a job and wait for them all."""
        started = time.monotonic()
        ids = []
        for clip in clips:
            response = upload(self.stack, self.owner, clip.path, language="ase")
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        jobs = [wait_for_job(self.stack, self.owner, job_id, timeout=600) for job_id in ids]
        assert all(job["status"] == "succeeded" for job in jobs), jobs
        self.timed("jobs", started)
        return jobs

    def share(self, job_id: str) -> None:
        self.api("POST", "/annotation/shares/", self.owner, json={"job": job_id})

    # -- annotation (annotator token; review: admin token) --
    def state(self, job_id: str, token: str | None = None) -> dict[str, Any]:
        return self.api("GET", f"/annotation/jobs/{job_id}/", token or self.annotator)

    def correct(self, job_id: str, letter: str) -> dict[str, Any]:
        """The annotator says the whole clip is `letter` and submits."""
        state = self.state(job_id)
        segment = {"id": state["segments"][0]["id"] if state["segments"] else "c0",
                   "start": 0.0, "end": state["job"]["duration"], "gloss": letter}
        saved = self.api("PUT", f"/annotation/jobs/{job_id}/", self.annotator, json={
            "segments": [segment], "translation": state["translation"], "flags": [],
            "revision": state["revision"]})
        return self.api("POST", f"/annotation/jobs/{job_id}/submit", self.annotator,
                        json={"revision": saved["revision"]})  # type: ignore[no-any-return]

    def accept(self, job_id: str) -> None:
        state = self.state(job_id, self.admin)
        assert state["status"] == "submitted", state
        self.api("POST", f"/annotation/jobs/{job_id}/review", self.admin,
                 json={"decision": "accept", "revision": state["revision"]})


def held_out_top1(figures: dict[str, Any], side: str) -> tuple[float, int]:
    """(top-1, segments) of one side of a shadow evaluation on the held-out corrections."""
    scores = figures["corrections"][side]
    return float(scores["top1"]), int(scores["segments"])
