"""Every committed bundle's config.json loads under the strict loader of its task, and writing
the loaded config back keeps every value it had (no key dropped or changed on the way)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlcore.bundle import read_bundle
from mlcore.config import Config, ConfigError
from recognition.ml.config import IsolatedConfig
from translation.ml.config import TranslationBundleConfig
from translation.ml.continuous.train import ContinuousBundleConfig
from translation.ml.letterspeller import LetterSpellerConfig, is_letter_speller

MODELS = Path(__file__).resolve().parents[3] / "models"
CONFIG_OF_TASK: dict[str, type[Config]] = {
    "isolated": IsolatedConfig, "embedding": IsolatedConfig,
    "translation": TranslationBundleConfig, "fingerspelling": TranslationBundleConfig,
    "continuous": ContinuousBundleConfig,
}
BUNDLES = sorted(p.parent for p in MODELS.glob("*/config.json"))
TRAIN_CONFIGS = sorted((MODELS.parent / "recognition" / "ml" / "configs").glob("*.json"))


def _kept(original: Any, written: Any, where: str = "") -> None:
    """Every key of `original` is in `written` with the same value (new fields may be added)."""
    if isinstance(original, dict):
        assert isinstance(written, dict), where
        for key, value in original.items():
            assert key in written, f"{where}.{key} was dropped"
            _kept(value, written[key], f"{where}.{key}")
    else:
        assert original == written, where


def test_every_model_folder_is_checked() -> None:
    assert len(BUNDLES) >= 8  # asl-alphabet, asl-signs(-embedding), silfa-letters, 4 text/CTC


@pytest.mark.parametrize("root", BUNDLES, ids=[p.name for p in BUNDLES])
def test_committed_config_loads_strictly(root: Path) -> None:
    bundle = read_bundle(root)
    kind = CONFIG_OF_TASK[bundle.task]
    if bundle.task == "fingerspelling" and is_letter_speller(bundle.config):
        kind = LetterSpellerConfig  # a letters classifier serving the fingerspelling task
    cfg = kind.from_dict(bundle.config)
    written = json.loads(json.dumps(cfg.to_dict()))
    _kept(bundle.config, written)
    assert kind.from_dict(written) == cfg
    with pytest.raises(ConfigError, match="'model.not_a_field'"):
        kind.from_dict({**bundle.config, "model": {**bundle.config["model"], "not_a_field": 1}})


@pytest.mark.parametrize("path", TRAIN_CONFIGS, ids=[p.stem for p in TRAIN_CONFIGS])
def test_committed_training_configs_load_strictly(path: Path) -> None:
    data = json.loads(path.read_text())
    _kept(data, json.loads(json.dumps(IsolatedConfig.from_dict(data).to_dict())))
