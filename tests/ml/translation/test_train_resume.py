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
from translation.ml.train import average_weights, epoch_weight_files, fit


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


def test_average_weights_is_the_elementwise_mean(tmp_path: Path) -> None:
    paths = []
    for i, value in enumerate([1.0, 2.0, 6.0]):
        paths.append(tmp_path / f"epoch-{i + 1:03d}.pt")
        torch.save({"w": torch.full((2, 3), value), "steps": torch.tensor([i])}, paths[-1])
    mean = average_weights(paths)
    assert torch.equal(mean["w"], torch.full((2, 3), 3.0))
    assert torch.equal(mean["steps"], torch.tensor([2]))  # integer buffers: the last one's


def test_average_last_keeps_k_epochs_across_a_resume_and_returns_their_mean(
        tiny_spm: TextTokenizer, tiny_vocab: GlossVocab, tmp_path: Path) -> None:
    examples = encode_gloss_pairs(TINY_PAIRS, tiny_vocab, tiny_spm, 20)
    cfg = tiny_model_config(src_vocab_size=len(tiny_vocab), tgt_vocab_size=len(tiny_spm))

    def run(epochs: int, resume: bool = False) -> Translator:
        torch.manual_seed(0)
        train = TrainConfig(epochs=epochs, batch_size=4, warmup_steps=3, patience=100,
                            schedule="constant", average_last=2)
        model, _ = fit(Translator(cfg), lambda e: examples, examples[:2], tiny_spm, train,
                       tmp_path, resume=resume)
        return model

    run(2)
    assert [p.name for p in epoch_weight_files(tmp_path, 99)] == ["epoch-001.pt",
                                                                  "epoch-002.pt"]
    model = run(4, resume=True)
    kept = epoch_weight_files(tmp_path, 99)
    assert [p.name for p in kept] == ["epoch-003.pt", "epoch-004.pt"]
    three, four = (torch.load(p, weights_only=True) for p in kept)
    last = torch.load(tmp_path / "last.pt", weights_only=False)["model"]
    assert all(torch.equal(four[k], last[k].cpu()) for k in last)  # the last epoch's weights
    assert any(not torch.equal(three[k], four[k]) for k in four)  # the epochs differ
    averaged = model.state_dict()
    assert all(torch.allclose(averaged[k], (three[k] + four[k]) / 2, atol=1e-6)
               for k in four if four[k].is_floating_point())
