"""A version that cannot serve its language's jobs cannot be activated (issue 15, item 5)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from landmarks.layout import NUM_POINTS
from landmarks.sequence import LandmarkSequence
from registry import selectors, services
from registry.compat import GLOSSER_TASK
from registry.errors import RegistryError
from registry.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def gloss_translator(ase, make_bundle):  # noqa: ANN001
    return services.register_bundle(make_bundle("g2t", name="g2t", input_kind="gloss"), ase)


def test_a_gloss_translator_is_refused_while_the_pipeline_gives_landmarks(
        ase, make_bundle, gloss_translator):
    active = services.register_bundle(make_bundle("lm", name="lm"), ase)
    services.activate_version(active)
    with pytest.raises(RegistryError) as refused:
        services.activate_version(gloss_translator)
    message = str(refused.value)
    assert "g2t@1 cannot serve ase jobs" in message
    assert "expects a sequence of glosses" in message
    assert "gives the translation model the clip's landmarks" in message
    assert selectors.active_model("ase", "translation").pk == active.pk  # nothing switched
    gloss_translator.refresh_from_db()
    assert gloss_translator.status == ModelVersion.Status.CANDIDATE


def test_a_gloss_translator_is_accepted_once_a_continuous_model_gives_glosses(
        ase, gloss_translator):
    ModelVersion.objects.create(language=ase, task=GLOSSER_TASK, name="glosser", version=1,
                                bundle_path="nowhere", checksum="0" * 64, status="active")
    services.activate_version(gloss_translator)
    assert selectors.active_model("ase", "translation").pk == gloss_translator.pk


def test_the_translation_stage_really_cannot_run_a_gloss_translator_on_landmarks(
        ase, gloss_translator, monkeypatch):
    """Why the guard exists: forced live past it, the model fails the job's translation stage.
    (If the stage ever feeds it glosses without a glosser, registry.compat must say so.)"""
    from translation import services as translation_services

    ModelVersion.objects.filter(pk=gloss_translator.pk).update(status="active")
    points = np.random.default_rng(0).uniform(0.3, 0.7, (12, NUM_POINTS, 3)).astype(np.float32)
    sequence = LandmarkSequence.from_points(points, fps=25.0)
    monkeypatch.setattr(translation_services, "load_job_landmarks", lambda job: sequence)
    job = SimpleNamespace(result={}, language="ase")
    with pytest.raises(Exception, match="gloss"):  # noqa: PT011 - the type is the stage's own
        translation_services.translate_job(job, _Report())
    assert "translation" not in job.result


def test_landmark_models_are_activated_as_before(ase, make_bundle):
    version = services.register_bundle(make_bundle("lm2", name="lm2"), ase)
    assert services.activate_version(version).to_version_id == version.pk


class _Report:
    """A stage's report callback: progress and streamed events are ignored."""

    def __call__(self, percent: int, **partial: object) -> None:
        pass

    def event(self, event: dict) -> None:
        pass


def test_the_admin_says_why_before_and_refuses_on_post(client, ase, gloss_translator):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from accounts.roles import ADMIN, assign_role

    admin = get_user_model().objects.create_user("boss", password="pw")
    assign_role(admin, ADMIN)
    client.force_login(admin)
    url = reverse("admin:registry_modelversion_activate", args=[gloss_translator.pk])
    page = client.get(url).content.decode()
    assert 'id="serving-problem"' in page and "expects a sequence of glosses" in page
    assert 'id="confirm-activate"' not in page
    answer = client.post(url, follow=True).content.decode()
    assert "cannot serve ase jobs" in answer
    assert selectors.active_model("ase", "translation") is None


def test_only_the_translation_model_is_ever_fed_glosses(ase):
    from registry.compat import serving_problem

    ModelVersion.objects.create(language=ase, task=GLOSSER_TASK, name="glosser", version=1,
                                bundle_path="nowhere", checksum="0" * 64, status="active")
    gloss_input = {"model": {"input_kind": "gloss"}}
    assert serving_problem("translation", gloss_input, "ase") is None
    assert "expects a sequence of glosses" in serving_problem("fingerspelling", gloss_input, "ase")
    assert serving_problem("isolated", {"model": {"d_model": 16}}, "ase") is None


def test_planning_a_job_reads_configs_and_loads_no_model(ase, make_bundle, gloss_translator):
    """The web process plans a job's stages per upload: it must not load any model for it."""
    from registry import runtime
    from translation.services import serves_language

    ModelVersion.objects.filter(pk=gloss_translator.pk).update(status="active")
    assert serves_language("ase") is False  # a gloss reader with nothing to feed it glosses
    ModelVersion.objects.create(language=ase, task=GLOSSER_TASK, name="glosser", version=1,
                                bundle_path="nowhere", checksum="0" * 64, status="active")
    assert serves_language("ase") is True
    assert runtime.cached_version_ids() == []
