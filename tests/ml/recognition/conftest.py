"""Fixtures for the isolated-recognition tests: one torch thread, tiny configs, real SILFA runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from recognition.ml.config import IsolatedConfig, ModelConfig, TrainConfig
from recognition.ml.data import Run, load_runs


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def silfa_root(shared_data: Path) -> Path:
    return shared_data / "isolated" / "silfa_fingerspelling"


@pytest.fixture(scope="session")
def silfa_runs(silfa_root: Path) -> list[Run]:
    """The real SILFA letters as runs of consecutive frames (24 letters, 558 frames)."""
    return load_runs("gislr", silfa_root)


def tiny_config(**model: object) -> IsolatedConfig:
    """A model small enough to train a few steps in a test."""
    base = IsolatedConfig(
        name="tiny",
        model=ModelConfig(d_model=16, n_heads=2, n_layers=1, cross_modal_heads=2, dropout=0.0),
        train=TrainConfig(epochs=2, steps_per_epoch=3, batch_size=8, warmup_steps=2,
                          clip_max=4, eval_clip_lens=(1, 4)),
    )
    return dataclasses.replace(base, model=dataclasses.replace(base.model, **model))
