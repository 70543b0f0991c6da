"""Bundles that must not be registered, and the reasons an admin reads."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from registry import services
from registry.errors import BundleRejected
from registry.models import ModelVersion
from registry.validation import vocabulary_problems
from tests.registry.bundles import LETTERS, zip_folder

pytestmark = pytest.mark.django_db


def rejected(source, language) -> list[str]:
    with pytest.raises(BundleRejected) as info:
        services.register_bundle(source, language)
    assert not ModelVersion.objects.exists()
    return info.value.problems


def test_a_zip_upload_is_registered(ase, make_bundle, tmp_path):
    archive = zip_folder(make_bundle(), tmp_path / "upload.zip")
    with archive.open("rb") as fh:
        version = services.register_bundle(fh, ase)
    assert (version.bundle_dir / "model.safetensors").is_file()


def test_vocabulary_mismatch_lists_the_foreign_glosses(ase, make_bundle):
    problems = rejected(make_bundle(glosses=["A", "B", "HELLO", "WORLD", "c"]), ase)
    assert len(problems) == 1
    assert "3 of the bundle's 5 glosses are not in the vocabulary of American Sign Language " \
           "(ase): 'HELLO', 'WORLD', 'c'" in problems[0]
    assert "'c' (vocabulary has 'C')" in problems[0]


def test_long_mismatch_lists_are_shortened():
    problems = vocabulary_problems([f"G{i:03d}" for i in range(40)], ["A"], "X (xxx)")
    assert problems[0].endswith("'G014' and 25 more")


def test_an_empty_language_vocabulary_says_so(make_bundle):
    empty = services.ensure_language("bfi")
    (problem,) = rejected(make_bundle(language="bfi"), empty)
    assert "the vocabulary of British Sign Language (bfi) is empty" in problem


def test_a_bundle_made_for_another_language_is_refused(ase, make_bundle):
    problems = rejected(make_bundle(language="gsg", glosses=["WETTER", "A"]), ase)
    assert problems[0] == "the bundle was made for language 'gsg', not 'ase'"
    assert "'WETTER'" in problems[1]  # every problem is reported, not only the first


@pytest.mark.parametrize("missing", ["config.json", "model.safetensors", "spm.model",
                                     "bundle.json"])
def test_an_incomplete_bundle_is_refused(ase, make_bundle, missing):
    bundle = make_bundle()
    (bundle / missing).unlink()
    (problem,) = rejected(bundle, ase)
    assert missing in problem


def test_corrupted_weights_are_refused(ase, make_bundle):
    bundle = make_bundle()
    data = (bundle / "model.safetensors").read_bytes()
    (bundle / "model.safetensors").write_bytes(data[: len(data) // 2])
    (problem,) = rejected(bundle, ase)
    assert problem.startswith("model.safetensors cannot be read")


def test_invalid_config_json_is_refused(ase, make_bundle):
    bundle = make_bundle()
    (bundle / "config.json").write_text("{not json")
    (problem,) = rejected(bundle, ase)
    assert "config.json is not valid JSON" in problem


def test_a_config_that_does_not_fit_the_weights_fails_the_forward_pass(ase, make_bundle):
    bundle = make_bundle()
    config = json.loads((bundle / "config.json").read_text())
    config["model"]["d_model"] = 32
    (bundle / "config.json").write_text(json.dumps(config))
    (problem,) = rejected(bundle, ase)
    # the loader names the file that disagrees, and torch's shape mismatch behind it
    assert problem.startswith("the test forward pass failed: BundleError")
    assert "weights do not match config.json" in problem and "size mismatch" in problem


def test_weights_that_output_nan_fail_the_forward_pass(ase, make_bundle):
    bundle = make_bundle()
    state = load_file(str(bundle / "model.safetensors"))
    save_file({k: torch.full_like(v, float("nan")) for k, v in state.items()},
              str(bundle / "model.safetensors"))
    (problem,) = rejected(bundle, ase)
    assert problem.startswith("the test forward pass failed")


def test_duplicate_glosses_are_refused(ase, make_bundle):
    bundle = make_bundle()
    (bundle / "glosses.txt").write_text("\n".join(LETTERS + ["A"]) + "\n")
    problems = rejected(bundle, ase)
    assert problems == ["the bundle's vocabulary lists these glosses twice: 'A'"]


def test_a_file_that_is_not_a_zip_is_refused(ase, tmp_path):
    fake = tmp_path / "bundle.zip"
    fake.write_text("hello")
    assert rejected(fake, ase) == ["the upload is not a .zip archive of a bundle folder"]


def test_a_zip_with_unsafe_paths_is_refused(ase, tmp_path: Path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../bundle.json", "{}")
    (problem,) = rejected(archive, ase)
    assert problem.startswith("unsafe path in archive")


def test_a_zip_without_a_bundle_is_refused(ase, tmp_path: Path):
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    assert rejected(archive, ase) == ["archive must contain exactly one bundle.json"]


def test_an_isolated_bundle_is_validated_with_its_real_predictor(ase, tmp_path):
    from tests.registry.bundles import isolated_bundle

    version = services.register_bundle(isolated_bundle(tmp_path / "ok"), ase)
    assert (version.task, version.label) == ("isolated", "tiny-letters@1")
    bundle = isolated_bundle(tmp_path / "bad", name="bad")
    (bundle / "vocab.txt").write_text("\n".join(LETTERS[:-1]) + "\n")  # 25 glosses, 26 classes
    (problem,) = rejected_again(bundle, ase)
    assert "the test forward pass failed" in problem and "number of classes" in problem


def rejected_again(source, language) -> list[str]:
    with pytest.raises(BundleRejected) as info:
        services.register_bundle(source, language)
    return info.value.problems
