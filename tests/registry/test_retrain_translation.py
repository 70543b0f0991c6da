"""`slrweb retrain --task translation`: the active translator fine-tuned on accepted corrected
translations (landmarks input from the jobs' cached landmarks, gloss input from the corrected
glosses), registered as a candidate; the same as a worker task from the admin."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from django.urls import reverse

from corpus.dataset import export_dataset
from corpus.retrain_translation import read_translation_export, retrain_translation
from registry import services
from registry.models import ModelVersion, RegistryTask
from tests.registry.corrections import accepted_annotation
from translation.ml.data import collate
from translation.ml.finetune import examples_for
from translation.ml.infer import TranslationPredictor

pytestmark = pytest.mark.django_db


def corrections(shared_data: Path, tmp_path: Path) -> None:
    """Two training clips with corrected text, one held-out clip (never to be trained on)."""
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False,
                        translation="hello world")
    accepted_annotation(shared_data, tmp_path / "lm", 2, ["C"], held_out=False,
                        translation="good morning")
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["D"], held_out=True,
                        translation="see you later")


def training_loss(bundle_dir: Path, folder: Path) -> float:
    """Cross-entropy of a bundle's model on the exported training corrections."""
    predictor = TranslationPredictor.from_bundle(bundle_dir)
    batch = collate(examples_for(predictor, read_translation_export(folder)["train"]))
    model = predictor.model.eval()
    with torch.no_grad():
        memory = model.encode(batch.src, batch.src_mask)
        logits = model.decode(batch.tgt_in, memory, batch.src_mask)
        terms = model.loss_terms(logits, batch.targets, memory, batch.src_mask, None)
    return float(terms["ce"])


@pytest.mark.parametrize("input_kind", ["landmarks", "gloss"])
def test_fine_tunes_the_active_translator_on_corrections(ase, make_bundle, shared_data,
                                                         tmp_path, input_kind):
    # A gloss-input translator cannot be active without a continuous model: named directly
    # (as --from-version does).
    base = services.register_bundle(make_bundle(name="tiny", input_kind=input_kind), ase)
    corrections(shared_data, tmp_path)
    export_dataset("ase", tmp_path / "export")
    new = retrain_translation(ase, base, epochs=8, lr=3e-3, log=lambda line: None)
    assert (new.label, new.status, new.input_kind) == ("tiny@2", "candidate", input_kind)
    assert ("slrweb retrain --language ase --task translation --from-version tiny@1 --epochs 8 "
            "--lr 0.003 --device cpu\n") in (Path(new.bundle_dir) / "MODEL_CARD.md").read_text()
    retrain = new.metrics["retrain"]
    assert (retrain["train_pairs"], retrain["held_out_clips"]) == (2, 1)
    assert new.metrics["train_examples"] == 2  # the held-out clip was not among them
    before = training_loss(base.bundle_dir, tmp_path / "export")
    after = training_loss(new.bundle_dir, tmp_path / "export")
    assert after < before
    # Scored on the held-out correction like any new version.
    assert new.evaluation["clips"] == 1 and {"wer", "cer", "bleu4"} <= set(new.evaluation)


def test_the_cli_retrains_translation(ase, make_bundle, shared_data, tmp_path, capsys):
    from slrweb.cli import main

    services.activate_version(services.register_bundle(make_bundle(name="tiny"), ase))
    corrections(shared_data, tmp_path)
    assert main(["retrain", "--language", "ase", "--task", "translation", "--epochs", "1",
                 "--device", "cpu"]) == 0
    assert "registered tiny@2 as a candidate" in capsys.readouterr().out


def test_without_corrected_translations_nothing_is_registered(ase, make_bundle, capsys):
    from slrweb.cli import main

    services.activate_version(services.register_bundle(make_bundle(name="tiny"), ase))
    assert main(["retrain", "--language", "ase", "--task", "translation", "--epochs", "1"]) == 1
    assert "no corrected translation" in capsys.readouterr().err
    assert ModelVersion.objects.count() == 1


@pytest.mark.usefixtures("eager")
def test_the_admin_starts_a_retrain_as_a_worker_task(client, ase, make_bundle, shared_data,
                                                     tmp_path):
    from django.contrib.auth import get_user_model

    from accounts.roles import ADMIN, assign_role

    user = get_user_model().objects.create_user("ada", password="pw")
    assign_role(user, ADMIN)
    client.force_login(user)
    services.activate_version(services.register_bundle(make_bundle(name="tiny"), ase))
    corrections(shared_data, tmp_path)
    response = client.post(reverse("admin:registry_modelversion_retrain"),
                           {"language": ase.pk, "task": "translation", "epochs": 2})
    row = RegistryTask.objects.get(kind="retrain")
    assert response["Location"] == reverse("admin:registry_modelversion_task", args=[row.pk])
    assert (row.status, row.percent) == ("succeeded", 100), row.error
    assert row.version.label == "tiny@2" and row.result["from_version"] == "tiny@1"
    page = client.get(response["Location"]).content.decode()
    assert reverse("admin:registry_modelversion_change", args=[row.version.pk]) in page
    # A language without an active isolated model: refused in the form, nothing queued.
    response = client.post(reverse("admin:registry_modelversion_retrain"),
                           {"language": ase.pk, "task": "isolated"})
    assert response.status_code == 200 and RegistryTask.objects.count() == 1
