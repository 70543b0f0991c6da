"""The translator's trainer on the core loop: a resumed run ends with the weights of an
uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.ml.translation.conftest import TINY_PAIRS
from translation.ml.config import TrainConfig, tiny_model_config
from translation.ml.data import encode_gloss_pairs
from translation.ml.model import Translator
from translation.ml.tokenizer import GlossVocab, TextTokenizer
from translation.ml.train import fit


def test_resumed_fit_equals_uninterrupted(tiny_spm: TextTokenizer, tiny_vocab: GlossVocab,
                                          tmp_path: Path) -> None:
    examples = encode_gloss_pairs(TINY_PAIRS, tiny_vocab, tiny_spm, 20)
    cfg = tiny_model_config(src_vocab_size=len(tiny_vocab), tgt_vocab_size=len(tiny_spm),
                            dropout=0.2)

    def run(epochs: int, ckpt: Path, resume: bool = False) -> Translator:
        torch.manual_seed(0)
        train = TrainConfig(epochs=epochs, batch_size=4, warmup_steps=3, patience=100)
        model, _ = fit(Translator(cfg), lambda e: examples, examples[:2], tiny_spm, train,
                       ckpt, resume=resume)
        return model

    whole = run(3, tmp_path / "whole")
    run(2, tmp_path / "part")
    resumed = run(3, tmp_path / "part", resume=True)
    a, b = whole.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    last_a = torch.load(tmp_path / "whole" / "last.pt", weights_only=False)["model"]
    last_b = torch.load(tmp_path / "part" / "last.pt", weights_only=False)["model"]
    assert all(torch.equal(last_a[k], last_b[k]) for k in last_a)
