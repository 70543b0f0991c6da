"""The registry in the Django admin, through the test client."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import ADMIN, ANNOTATOR, assign_role
from registry import bundle_store, selectors, services
from registry.models import ActivationEvent, Gloss, ModelVersion
from tests.registry.bundles import zip_folder

pytestmark = pytest.mark.django_db


def client_for(client, role: str | None, staff: bool = False):
    user = get_user_model().objects.create_user(f"user-{role}", password="pw", is_staff=staff)
    if role:
        assign_role(user, role)
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(client):
    return client_for(client, ADMIN)


@pytest.fixture
def versions(ase, make_bundle):
    return [services.register_bundle(make_bundle(f"b{i}", seed=i), ase) for i in range(2)]


@pytest.mark.parametrize("name", ["signlanguage", "gloss", "modelversion", "activationevent"])
def test_changelists_render_with_filters_and_search(admin_client, versions, name):
    services.activate_version(versions[0])
    response = admin_client.get(reverse(f"admin:registry_{name}_changelist") + "?q=a")
    assert response.status_code == 200
    assert b'id="changelist-filter"' in response.content or name == "signlanguage"


def test_upload_registers_and_can_activate(admin_client, ase, make_bundle, tmp_path, eager):
    archive = zip_folder(make_bundle(), tmp_path / "b.zip")
    with archive.open("rb") as fh:
        response = admin_client.post(reverse("admin:registry_modelversion_add"),
                                     {"language": ase.pk, "bundle": fh, "activate": "on"})
    version = ModelVersion.objects.get()
    assert response.status_code == 302  # to the progress page of its registration
    page = admin_client.get(response["Location"]).content.decode()
    assert reverse("admin:registry_modelversion_activate", args=[version.pk]) in page
    assert version.uploaded_by.username == "user-admin"


def test_a_rejected_upload_lists_every_problem(admin_client, ase, make_bundle, tmp_path, eager):
    bundle = make_bundle(glosses=["A", "HELLO"], language="gsg")
    with zip_folder(bundle, tmp_path / "b.zip").open("rb") as fh:
        response = admin_client.post(reverse("admin:registry_modelversion_add"),
                                     {"language": ase.pk, "bundle": fh})
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "made for language &#x27;gsg&#x27;, not &#x27;ase&#x27;" in page
    assert "&#x27;HELLO&#x27;" in page
    assert not ModelVersion.objects.exists()


def test_activation_asks_for_confirmation_with_metrics_beside_the_active(
        admin_client, versions):
    first, second = versions
    services.activate_version(first)
    url = reverse("admin:registry_modelversion_activate", args=[second.pk])
    page = admin_client.get(url).content.decode()
    assert "Activate tiny-fingerspelling@2?" in page
    assert "tiny-fingerspelling@1 (active)" in page
    assert "Yes, activate it" in page
    assert selectors.active_model("ase", "translation") == first  # GET changes nothing

    response = admin_client.post(url)
    assert response.status_code == 302
    assert selectors.active_model("ase", "translation") == second
    assert ActivationEvent.objects.latest("id").username == "user-admin"


def test_the_version_page_compares_metrics_and_offers_actions(admin_client, versions):
    services.activate_version(versions[0])
    page = admin_client.get(reverse("admin:registry_modelversion_change",
                                    args=[versions[1].pk])).content.decode()
    assert "Metrics beside the active version" in page
    assert 'class="activate-link"' in page
    page = admin_client.get(reverse("admin:registry_modelversion_change",
                                    args=[versions[0].pk])).content.decode()
    assert 'class="rollback-link"' in page


def test_roll_back_action_confirms_then_rolls_back(admin_client, ase, versions):
    for version in versions:
        services.activate_version(version)
    changelist = reverse("admin:registry_modelversion_changelist")
    response = admin_client.post(changelist, {"action": "roll_back_selected",
                                              "_selected_action": [versions[1].pk]})
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "Yes, roll back" in page and "tiny-fingerspelling@1" in page
    assert selectors.active_model("ase", "translation") == versions[1]
    admin_client.post(response["Location"])
    assert selectors.active_model("ase", "translation") == versions[0]
    assert ActivationEvent.objects.latest("id").action == "rollback"


def test_activate_action_needs_exactly_one_version(admin_client, versions):
    changelist = reverse("admin:registry_modelversion_changelist")
    response = admin_client.post(changelist, {"action": "activate_selected",
                                              "_selected_action": [v.pk for v in versions]},
                                 follow=True)
    assert "Select exactly one version to activate." in response.content.decode()
    response = admin_client.post(changelist, {"action": "activate_selected",
                                              "_selected_action": [versions[0].pk]})
    assert response["Location"] == reverse("admin:registry_modelversion_activate",
                                           args=[versions[0].pk])


@pytest.mark.parametrize("role,staff", [(ANNOTATOR, True), (None, True), (None, False)])
def test_only_admins_may_activate(client, versions, role, staff):
    client = client_for(client, role, staff=staff)
    url = reverse("admin:registry_modelversion_activate", args=[versions[0].pk])
    assert client.get(url).status_code in (302, 403)  # 302: not staff, sent to the login
    assert client.post(url).status_code in (302, 403)
    assert selectors.active_model("ase", "translation") is None


def test_the_activation_log_is_read_only(admin_client, versions):
    event = services.activate_version(versions[0])
    assert admin_client.get(reverse("admin:registry_activationevent_add")).status_code == 403
    change = reverse("admin:registry_activationevent_change", args=[event.pk])
    assert admin_client.post(change, {"username": "forged"}).status_code == 403
    delete = reverse("admin:registry_activationevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ActivationEvent.objects.get().username == ""


def test_versions_that_were_live_cannot_be_deleted(admin_client, versions):
    services.activate_version(versions[0])
    delete = reverse("admin:registry_modelversion_delete", args=[versions[0].pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(reverse("admin:registry_modelversion_changelist"),
                                 {"action": "delete_selected", "_selected_action": [versions[1].pk]})
    assert "Are you sure" in response.content.decode()  # bulk delete confirms first
    admin_client.post(reverse("admin:registry_modelversion_changelist"),
                      {"action": "delete_selected", "_selected_action": [versions[1].pk],
                       "post": "yes"})
    assert list(ModelVersion.objects.all()) == [versions[0]]
    assert not bundle_store.is_stored(versions[1].bundle_path)


def test_vocabulary_csv_export_and_import_in_the_admin(admin_client, ase):
    export = admin_client.get(reverse("admin:registry_signlanguage_export_vocabulary",
                                      args=[ase.pk]))
    assert export["Content-Type"].startswith("text/csv")
    assert export.content.decode().splitlines()[:2] == ["gloss,description,reference_clip",
                                                        "A,,"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("v.csv", b"gloss,description\nA,fist\nHELLO,greeting\n")
    url = reverse("admin:registry_signlanguage_import_vocabulary", args=[ase.pk])
    response = admin_client.post(url, {"csv_file": upload}, follow=True)
    assert "1 added, 1 updated, 0 unchanged" in response.content.decode()
    assert Gloss.objects.get(language=ase, gloss="A").description == "fist"
    bad = SimpleUploadedFile("v.csv", b"gloss\nA\nA\n")
    page = admin_client.post(url, {"csv_file": bad}).content.decode()
    assert "line 3: gloss &#x27;A&#x27; repeats line 2" in page


def test_annotators_cannot_import_vocabularies(client, ase):
    client = client_for(client, ANNOTATOR, staff=True)
    upload_url = reverse("admin:registry_signlanguage_import_vocabulary", args=[ase.pk])
    assert client.get(upload_url).status_code == 403
