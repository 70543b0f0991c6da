"""Registered bundles through Django's STORAGES (issue 11, item 6), on storages that are not
MEDIA_ROOT: registration (upload in flight included), activation, a worker-side load into the
bundle cache, the checksum check, processes racing to fetch one bundle, deletion, and the
migration of folders stored under MEDIA_ROOT before.

The worker here is this process with an empty bundle cache of its own: an InMemoryStorage
cannot be shared with a Celery worker process (the live-stack tests, tests/registry/
test_live_activation.py, run a real worker on the file system storage)."""

from __future__ import annotations

import importlib
import multiprocessing
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.test import override_settings

from registry import background, bundle_store, selectors, services
from registry.compat import stored_config
from registry.models import ModelVersion
from registry.runtime import clear_predictor_cache, get_predictor
from registry.smoke import dummy_sequence
from registry.validation import bundle_checksum
from tests.registry.bundles import zip_folder
from translation.ml.infer import TranslationPredictor

pytestmark = pytest.mark.django_db

STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
IN_MEMORY = {"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
             "landmarks": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
             "staticfiles": STATIC}


def elsewhere(root: Path) -> dict[str, dict[str, object]]:
    """A file system storage rooted outside MEDIA_ROOT (a stand-in for a bucket that several
    processes share)."""
    backend = {"BACKEND": "django.core.files.storage.FileSystemStorage",
               "OPTIONS": {"location": str(root)}}
    return {"default": backend, "landmarks": backend, "staticfiles": STATIC}


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@override_settings(STORAGES=IN_MEMORY)
def test_register_activate_load_and_delete_without_a_file_system_storage(
        ase, make_bundle, tmp_path, settings):
    assert isinstance(bundle_store.storage(), InMemoryStorage)
    media = Path(settings.MEDIA_ROOT)
    source_a, source_b = make_bundle("a", seed=0), make_bundle("b", seed=1)

    # An upload in flight waits in the storage for the worker, which deletes it when done.
    with zip_folder(source_a, tmp_path / "a.zip").open("rb") as fh:
        row = background.start_registration(fh, ase)
    upload = row.params["upload"]
    assert upload.startswith(f"{bundle_store.UPLOAD_STORE}/") and bundle_store.storage().exists(
        upload)
    row = background.execute(str(row.pk))
    assert row.status == "succeeded", row.error
    assert not bundle_store.storage().exists(upload)
    first = ModelVersion.objects.get(pk=row.version_id)
    second = services.register_bundle(source_b, ase)

    # Stored file by file under the relative name in the database, exactly the bundle's files.
    assert first.bundle_path.startswith(f"{bundle_store.BUNDLE_STORE}/ase/translation/")
    assert bundle_store.stored_files(first.bundle_path) == sorted(
        p.name for p in source_a.iterdir())
    assert first.checksum == bundle_checksum(source_a)

    services.activate_version(first)
    assert stored_config(first)["model"]["input_kind"] == "landmarks"

    # A worker on another machine: its own empty bundle cache, the version from the database.
    settings.SLRWEB_BUNDLE_CACHE = tmp_path / "worker-cache"
    clear_predictor_cache()
    active = selectors.active_model("ase", "translation")
    assert active is not None and active.pk == first.pk
    predictor = get_predictor(active)
    assert active.bundle_dir == tmp_path / "worker-cache" / first.checksum
    assert bundle_checksum(active.bundle_dir) == first.checksum
    sequence = dummy_sequence()
    expected = TranslationPredictor.from_bundle(source_a).translate(sequence)
    assert predictor.translate(sequence)["tokens"] == expected["tokens"]
    other = TranslationPredictor.from_bundle(source_b).translate(sequence)
    assert other["tokens"] != expected["tokens"]  # the comparison can tell the versions apart

    services.delete_version(second)
    assert bundle_store.stored_files(second.bundle_path) == []
    assert not (Path(settings.SLRWEB_BUNDLE_CACHE) / second.checksum).exists()
    assert bundle_store.stored_files(first.bundle_path)  # the live one is untouched
    # Nothing was ever written to (or could have been read from) MEDIA_ROOT.
    assert files_under(media) == []


@override_settings(STORAGES=IN_MEMORY)
def test_a_stored_bundle_that_does_not_match_its_checksum_is_never_loaded(
        ase, make_bundle, settings):
    version = services.register_bundle(make_bundle(), ase)
    storage = bundle_store.storage()
    card = f"{version.bundle_path}/MODEL_CARD.md"
    storage.delete(card)
    storage.save(card, ContentFile(b"altered after registration\n"))
    settings.SLRWEB_BUNDLE_CACHE = cache = Path(settings.SLRWEB_BUNDLE_CACHE).parent / "fresh"
    with pytest.raises(bundle_store.StoredBundleError, match="checksum"):
        get_predictor(version)
    assert list(cache.iterdir()) == []  # neither the copy nor its temporary folder stays

    bundle_store.delete_bundle(version.bundle_path)
    with pytest.raises(bundle_store.StoredBundleError, match="holds no bundle"):
        _ = version.bundle_dir
    assert list(cache.iterdir()) == []


def _fetch(name: str, checksum: str, barrier: object, out: object) -> None:
    """In a forked process: fetch the bundle; every process downloads before any renames."""
    import registry.bundle_store as store

    checked = store.bundle_checksum

    def checksum_after_everyone_downloaded(path: Path) -> str:
        barrier.wait(timeout=60)  # type: ignore[attr-defined]
        return checked(path)

    store.bundle_checksum = checksum_after_everyone_downloaded  # type: ignore[assignment]
    out.put(str(store.local_bundle(name, checksum)))  # type: ignore[attr-defined]


def test_processes_fetching_the_same_bundle_at_once_end_with_one_verified_copy(
        ase, make_bundle, tmp_path, settings):
    settings.STORAGES = elsewhere(tmp_path / "bucket")
    version = services.register_bundle(make_bundle(), ase)
    assert (tmp_path / "bucket" / version.bundle_path / "bundle.json").is_file()
    settings.SLRWEB_BUNDLE_CACHE = cache = tmp_path / "shared-cache"
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_fetch, args=(version.bundle_path, version.checksum,
                                                    barrier, out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    paths = {out.get(timeout=5) for _ in workers}
    assert paths == {str(cache / version.checksum)}
    # One copy, complete and verified; no temporary folder of the two that lost the race.
    assert [p.name for p in cache.iterdir()] == [version.checksum]
    assert bundle_checksum(cache / version.checksum) == version.checksum


def test_migration_uploads_bundle_folders_that_were_under_media_root(
        ase, make_bundle, tmp_path, settings):
    """Before: bundle_path named a folder under MEDIA_ROOT. On a storage elsewhere (an S3
    bucket), the migration uploads those folders under the same names."""
    migration = importlib.import_module("registry.migrations.0004_bundles_in_storage")
    source = make_bundle()
    name = f"{bundle_store.BUNDLE_STORE}/ase/translation/legacy-1-00000000"
    shutil.copytree(source, Path(settings.MEDIA_ROOT) / name)
    version = ModelVersion.objects.create(language=ase, task="translation", name="legacy",
                                          version=1, bundle_path=name,
                                          checksum=bundle_checksum(source))
    foreign = ModelVersion.objects.create(language=ase, task="isolated", name="x", version=1,
                                          bundle_path="models/ase", checksum="a" * 64)
    settings.STORAGES = elsewhere(tmp_path / "bucket")
    assert not bundle_store.is_stored(name)
    migration.to_storage(apps, None)
    assert bundle_store.stored_files(name) == sorted(p.name for p in source.iterdir())
    assert bundle_checksum(version.bundle_dir) == version.checksum
    assert not (tmp_path / "bucket" / foreign.bundle_path).exists()
    migration.to_storage(apps, None)  # again: nothing to do
    assert bundle_store.stored_files(name) == sorted(p.name for p in source.iterdir())


def test_only_folders_of_the_bundle_store_are_written_or_deleted(tmp_path, settings):
    settings.STORAGES = elsewhere(tmp_path / "bucket")
    keep = tmp_path / "bucket" / "videos" / "keep.mp4"
    keep.parent.mkdir(parents=True)
    keep.write_bytes(b"x")
    for name in ("videos", "registry/bundles", "registry/bundles/../../videos", "/abs/x"):
        assert not bundle_store.in_bundle_store(name)
        bundle_store.delete_bundle(name)
        with pytest.raises(ValueError):
            bundle_store.store_bundle(tmp_path, name)
    assert keep.read_bytes() == b"x"
