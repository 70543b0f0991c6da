"""Registering, activating and rolling back model versions."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from registry import selectors, services
from registry.errors import BundleRejected, RegistryError
from registry.models import ActivationEvent, ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_user("root", password="pw")


@pytest.fixture
def three_versions(ase, make_bundle):
    return [services.register_bundle(make_bundle(f"b{i}", seed=i), ase) for i in range(3)]


def test_register_stores_a_candidate_copy_with_metrics(ase, make_bundle, admin_user):
    source = make_bundle()
    version = services.register_bundle(source, ase, admin_user)
    assert version.status == ModelVersion.Status.CANDIDATE
    assert version.label == "tiny-fingerspelling@1"
    assert version.task == "translation"
    assert version.metrics["bleu4"] == 1.0
    assert version.uploaded_by == admin_user
    assert version.bundle_dir.is_dir() and version.bundle_dir != source
    assert sorted(p.name for p in version.bundle_dir.iterdir()) == sorted(
        p.name for p in source.iterdir())
    assert selectors.active_model("ase", "translation") is None


def test_version_numbers_count_up_per_name(ase, three_versions):
    assert [v.label for v in three_versions] == [
        "tiny-fingerspelling@1", "tiny-fingerspelling@2", "tiny-fingerspelling@3"]


def test_the_same_bundle_is_registered_once(ase, make_bundle):
    bundle = make_bundle()
    services.register_bundle(bundle, ase)
    with pytest.raises(BundleRejected, match="already registered as tiny-fingerspelling@1"):
        services.register_bundle(bundle, ase)


def test_activation_switches_and_is_logged(ase, three_versions, admin_user):
    first, second, _ = three_versions
    event = services.activate_version(first, admin_user)
    assert (event.action, event.from_version, event.to_version) == ("activate", None, first)
    event = services.activate_version(second, admin_user)
    assert (event.from_version, event.to_version, event.username) == (first, second, "root")
    first.refresh_from_db()
    assert first.status == "retired" and second.status == "active"
    assert selectors.active_model("ase", "translation") == second
    assert ModelVersion.objects.filter(status="active").count() == 1
    assert ActivationEvent.objects.count() == 2


def test_activating_the_active_version_is_refused(ase, three_versions):
    services.activate_version(three_versions[0])
    with pytest.raises(RegistryError, match="already the active version"):
        services.activate_version(three_versions[0])


def test_database_allows_one_active_version_per_language_and_task(ase, three_versions):
    services.activate_version(three_versions[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=three_versions[1].pk).update(status="active")


def test_a_failed_switch_changes_nothing(ase, three_versions, monkeypatch):
    first, second, _ = three_versions
    services.activate_version(first)

    def broken_log(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ActivationEvent.objects, "create", broken_log)
    with pytest.raises(RuntimeError):
        services.activate_version(second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("active", "candidate")
    assert selectors.active_model("ase", "translation") == first


def test_a_version_whose_files_are_gone_is_not_activated(ase, three_versions):
    from registry import bundle_store

    bundle_store.storage().delete(f"{three_versions[0].bundle_path}/bundle.json")
    with pytest.raises(RegistryError, match="stored bundle of tiny-fingerspelling@1 is missing"):
        services.activate_version(three_versions[0])
    assert selectors.active_model("ase", "translation") is None


def test_roll_back_walks_back_through_history(ase, three_versions, admin_user):
    first, second, third = three_versions
    for version in three_versions:
        services.activate_version(version, admin_user)
    assert services.rollback_target(ase, "translation") == second
    event = services.roll_back(ase, "translation", admin_user)
    assert (event.action, event.from_version, event.to_version) == ("rollback", third, second)
    assert services.roll_back(ase, "translation").to_version == first
    assert services.rollback_target(ase, "translation") is None
    with pytest.raises(RegistryError, match="no earlier translation version"):
        services.roll_back(ase, "translation")
    assert selectors.active_model("ase", "translation") == first
    assert list(ActivationEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "activate", "activate", "activate", "rollback", "rollback"]


def test_roll_back_after_reactivating_an_old_version(ase, three_versions):
    first, second, _ = three_versions
    services.activate_version(first)
    services.activate_version(second)
    services.activate_version(first)
    assert services.roll_back(ase, "translation").to_version == second


def test_roll_back_without_history_is_refused(ase):
    with pytest.raises(RegistryError, match="no earlier"):
        services.roll_back(ase, "isolated")


def test_delete_version_removes_files_but_keeps_logged_versions(ase, three_versions):
    first, second, _ = three_versions
    services.activate_version(first)
    with pytest.raises(RegistryError, match="live once"):
        services.delete_version(first)
    from registry import bundle_store

    folder, name = second.bundle_dir, second.bundle_path
    assert bundle_store.stored_files(name)
    services.delete_version(second)
    assert not ModelVersion.objects.filter(pk=second.pk).exists()
    assert bundle_store.stored_files(name) == [] and not bundle_store.storage().exists(name)
    assert not folder.exists()  # this machine's cached copy went too


def test_active_languages_lists_languages_with_an_active_model(ase, three_versions):
    other = services.ensure_language("gsg")
    assert selectors.active_languages() == []
    services.activate_version(three_versions[0])
    assert selectors.active_languages() == [ase]
    assert other not in selectors.active_languages()
    with pytest.raises(ValueError):
        selectors.active_model("ase", "pose")


def test_ensure_language_and_add_glosses_are_idempotent(db):
    language = services.ensure_language("DGS")
    assert (language.code, language.name) == ("gsg", "German Sign Language")
    assert services.ensure_language("gsg") == language
    assert services.add_glosses(language, ["WETTER", "MORGEN", ""]) == 2
    assert services.add_glosses(language, ["WETTER", "REGEN"]) == 1
    assert selectors.vocabulary(language) == ["MORGEN", "REGEN", "WETTER"]
    with pytest.raises(ValueError, match="ISO 639-3"):
        services.ensure_language("german")
