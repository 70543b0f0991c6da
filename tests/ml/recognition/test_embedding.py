"""Embedding trunk: SupCon loss, class-balanced batches, training on real multi-signer clips."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from recognition.ml.data import Run
from recognition.ml.embedding import (
    EmbeddingTrainConfig,
    EpisodeBatches,
    embed_runs,
    embedding_config,
    supcon_loss,
    train_embedding,
)
from recognition.ml.participants import load_sources, prepare_for_config
from tests.ml.recognition.conftest import tiny_config


@pytest.fixture(scope="module")
def mp_runs(shared_data: Path) -> list[Run]:
    """Real MP_Data clips (7 people), thanks read as thankyou, trimmed and resampled."""
    cfg = dataclasses.replace(tiny_config(max_frames=12), aliases={"thanks": "thankyou"})
    runs = load_sources([("gislr", str(shared_data / "isolated" / "mpdata_multi"))])
    return prepare_for_config(runs, cfg)


def test_supcon_prefers_clustered_embeddings() -> None:
    y = torch.tensor([0, 0, 1, 1])
    clustered = torch.nn.functional.normalize(torch.tensor(
        [[1.0, 0.1], [1.0, -0.1], [-0.1, 1.0], [0.1, 1.0]]), dim=-1)
    mixed = clustered[[0, 2, 1, 3]]
    assert supcon_loss(clustered, y, 0.1) < supcon_loss(mixed, y, 0.1)
    # An anchor with no positive in the batch adds nothing (no NaN).
    assert torch.isfinite(supcon_loss(clustered, torch.tensor([0, 0, 1, 2]), 0.1))


def test_batches_hold_every_sign_and_balance_classes(mp_runs: list[Run]) -> None:
    cfg = embedding_config(tiny_config(max_frames=12), 8)
    ecfg = EmbeddingTrainConfig(dim=8, classes_per_batch=2, clips_per_class=3)
    x, mask, y = EpisodeBatches(mp_runs, cfg, ecfg, seed=0).batch()
    assert sorted(np.bincount(y.numpy()).tolist()) == [3, 3, 3]  # all 3 signs, 3 clips each
    assert x.shape[:2] == mask.shape and x.shape[1] <= 12 / cfg.augment.speed[0] + 1


def test_training_gives_normalised_deterministic_embeddings(mp_runs: list[Run]) -> None:
    cfg = tiny_config(max_frames=12)
    ecfg = EmbeddingTrainConfig(dim=8, steps=3, classes_per_batch=3, clips_per_class=2)
    first, info = train_embedding(cfg, mp_runs, ecfg, log=lambda _: None)
    again, _ = train_embedding(cfg, mp_runs, ecfg, log=lambda _: None)
    full = embedding_config(cfg, 8)
    emb = embed_runs(first, full, mp_runs[:10])
    assert emb.shape == (10, 8)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(emb, embed_runs(again, full, mp_runs[:10]))
    assert info["sign_labels"] == ["hello", "iloveyou", "thankyou"]


def test_instance_contrast_draws_two_views_of_each_clip(mp_runs: list[Run]) -> None:
    cfg = embedding_config(tiny_config(max_frames=12), 8)
    ecfg = EmbeddingTrainConfig(dim=8, clips_per_class=2, instance_weight=1.0)
    x, mask, y = EpisodeBatches(mp_runs, cfg, ecfg, seed=0).batch()
    half = len(y) // 2
    assert len(y) == 12 and torch.equal(y[:half], y[half:])  # same clips, same order
    assert not torch.equal(x[:half], x[half:])  # augmented independently
    trained, _ = train_embedding(tiny_config(max_frames=12), mp_runs,
                                 dataclasses.replace(ecfg, steps=2), log=lambda _: None)
    assert trained.cfg.num_classes == 8
