"""Fixtures for the translator tests: one torch thread, tiny configs, a tiny parallel corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from translation.ml.tokenizer import GlossVocab, TextTokenizer, train_spm

# Glosses and their "translations": word order changes and one gloss maps to two words,
# so the model has to attend, not copy position by position.
TINY_PAIRS = [
    ("MORGEN REGEN", "morgen regnet es ."),
    ("HEUTE SONNE", "heute scheint die sonne ."),
    ("MORGEN SONNE", "morgen scheint die sonne ."),
    ("HEUTE REGEN", "heute regnet es ."),
    ("NORD WIND", "im norden weht wind ."),
    ("SUED WIND", "im süden weht wind ."),
    ("NORD REGEN", "im norden regnet es ."),
    ("SUED SONNE", "im süden scheint die sonne ."),
]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_spm(tmp_path_factory: pytest.TempPathFactory) -> TextTokenizer:
    out = tmp_path_factory.mktemp("spm")
    corpus = [t for _, t in TINY_PAIRS] * 5
    return TextTokenizer(train_spm(corpus, out / "spm", vocab_size=40, model_type="bpe"))


@pytest.fixture(scope="session")
def tiny_vocab() -> GlossVocab:
    return GlossVocab.build(g for g, _ in TINY_PAIRS)


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny corpus as line-aligned gloss/text files (train = dev)."""
    out = tmp_path_factory.mktemp("corpus")
    gloss, text = out / "c.gloss", out / "c.de"
    gloss.write_text("\n".join(g for g, _ in TINY_PAIRS) + "\n")
    text.write_text("\n".join(t for _, t in TINY_PAIRS) + "\n")
    return {"gloss": gloss, "text": text}
