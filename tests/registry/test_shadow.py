"""Shadow evaluation: a candidate beside the active version on recent jobs' cached landmarks
and on held-out corrections, without activating it; activation records the figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.files import read_landmarks
from registry import services
from registry.models import ActivationEvent, RegistryTask
from tests.registry.corrections import accepted_annotation
from tests.registry.tasks_support import unlabelled_job
from translation.ml.infer import TranslationPredictor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):  # noqa: ANN001, ANN201
    from django.contrib.auth import get_user_model

    from accounts.roles import ADMIN, assign_role

    user = get_user_model().objects.create_user("ada", password="pw")
    assign_role(user, ADMIN)
    client.force_login(user)
    return client


@pytest.fixture
def world(ase, make_bundle, shared_data, tmp_path):  # noqa: ANN001, ANN201
    """Active tiny-a@1, candidate tiny-b (other weights), three unlabelled jobs, one held-out
    correction, one accepted training correction (labelled: not an unlabelled job)."""
    active = services.register_bundle(make_bundle("a", name="tiny", seed=0), ase)
    services.activate_version(active)
    candidate = services.register_bundle(make_bundle("b", name="tiny", seed=3), ase)
    jobs = [unlabelled_job(shared_data, tmp_path / "jobs", i) for i in (4, 5, 6)]
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=True,
                        translation="ab")
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["C"], held_out=False, translation="c")
    return active, candidate, jobs


def texts(version, jobs) -> list[str]:  # noqa: ANN001
    predictor = TranslationPredictor.from_bundle(version.bundle_dir)
    return [predictor.translate(read_landmarks(job.landmarks_file))["text"] for job in jobs]


@pytest.mark.usefixtures("eager")
def test_shadow_compares_candidate_and_active_without_activating(admin_client, world):
    active, candidate, jobs = world
    url = reverse("admin:registry_modelversion_shadow", args=[candidate.pk])
    response = admin_client.post(url, {"jobs": 10})
    row = RegistryTask.objects.get(kind="shadow")
    assert response["Location"] == reverse("admin:registry_modelversion_task", args=[row.pk])
    assert row.status == "succeeded", row.error
    candidate.refresh_from_db()
    assert candidate.status == "candidate"
    figures = row.result
    # Recomputed here, each version on its own: the same outputs, the same agreement.
    ours, theirs = texts(candidate, jobs), texts(active, jobs)
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    assert figures["jobs"]["compared"] == 3 and figures["jobs"]["agree"] == agree
    assert figures["jobs"]["agreement"] == round(agree / 3, 4)
    differing = {str(j.pk) for j, a, b in zip(jobs, ours, theirs, strict=True) if a != b}
    assert {d["job"] for d in figures["disagreements"]} == differing
    for side in ("candidate", "active"):
        assert figures["corrections"][side]["clips"] == 1  # the held-out clip alone
        assert {"bleu4", "wer", "cer"} <= set(figures["corrections"][side])
    page = admin_client.get(url).content.decode()
    assert 'id="shadow-corrections"' in page and "tiny@1" in page
    for item in figures["disagreements"]:
        assert reverse("annotation:workspace", args=[item["job"]]) in page
        assert f"/api/v1/jobs/{item['job']}/video" in page


@pytest.mark.usefixtures("eager")
def test_a_candidate_with_the_active_weights_agrees_everywhere(ase, make_bundle, world):
    from registry.background import start

    active, _, _ = world
    twin = make_bundle("twin", name="tiny", seed=0)
    (twin / "MODEL_CARD.md").write_text("same weights, another card")
    twin_version = services.register_bundle(twin, ase)
    row = start("shadow", language=ase, task="translation", version=twin_version,
                params={"jobs": 2})
    row.refresh_from_db()
    assert row.result["jobs"] == {**row.result["jobs"], "compared": 2, "agree": 2,
                                  "agreement": 1.0}
    assert row.result["disagreements"] == []
    assert (row.result["corrections"]["candidate"]["bleu4"]
            == row.result["corrections"]["active"]["bleu4"])


@pytest.mark.usefixtures("eager")
def test_activation_records_the_latest_shadow_figures(world):
    from registry.background import start

    active, candidate, _ = world
    start("shadow", language=candidate.language, task="translation", version=candidate,
          params={"jobs": 3})
    event = services.activate_version(candidate)
    assert event.figures["candidate"] == candidate.label
    assert event.figures["active"] == active.label
    assert event.figures["jobs"]["compared"] == 3
    assert "disagreements" not in event.figures
    back = services.roll_back(candidate.language, "translation")
    assert back.figures == {}  # a roll-back is not a shadowed switch
    assert ActivationEvent.objects.filter(figures__jobs__compared=3).count() == 1
