"""The one training loop (mlcore.train): resume, best weights, atomic checkpoints, schedule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from mlcore.train import LoopConfig, Task, fit, lr_factor

STEPS = 3


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)  # dropout makes the torch generator part of what a resume restores
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))


def _task(evaluate: Any = None, seed: int = 5) -> Task:
    """Noisy batches drawn by the task's own generator (which a resume has to restore)."""
    rng = np.random.default_rng(seed)
    w = np.array([1.0, -2.0, 0.5, 0.0])

    def batches(epoch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        out = []
        for _ in range(STEPS):
            x = rng.normal(size=(8, 4)).astype(np.float32)
            out.append((torch.from_numpy(x), torch.from_numpy((x @ w > 0).astype(np.int64))))
        return out

    def loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(model(x), y)

    return Task(batches=batches, loss=loss, evaluate=evaluate,
                score=None if evaluate is None else lambda m: m["score"], generators=[rng])


DEV_X = np.random.default_rng(1).normal(size=(32, 4)).astype(np.float32)


def _dev_score(model: nn.Module) -> dict[str, Any]:
    device = next(model.parameters()).device
    y = torch.from_numpy((DEV_X @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(np.int64))
    logits = model(torch.from_numpy(DEV_X).to(device))
    return {"score": -float(nn.functional.cross_entropy(logits, y.to(device)))}


def _cfg(epochs: int, **kw: Any) -> LoopConfig:
    return LoopConfig(epochs=epochs, lr=1e-2, weight_decay=0.01, warmup_steps=2,
                      total_steps=4 * STEPS, seed=3, **kw)


def _same(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path: Path) -> None:
    whole = fit(_model(), _task(_dev_score), _cfg(4), checkpoint=tmp_path / "a.pt",
                progress=False, log=lambda _: None)
    ckpt = tmp_path / "b.pt"
    first = fit(_model(), _task(_dev_score), _cfg(2), checkpoint=ckpt, progress=False,
                log=lambda _: None)
    assert first.state.epoch == 2 and not _same(first.model, whole.model)
    # A fresh process: new model, new task generators; everything comes from the checkpoint.
    resumed = fit(_model(seed=99), _task(_dev_score, seed=99), _cfg(4), checkpoint=ckpt,
                  resume=True, progress=False, log=lambda _: None)
    assert resumed.state.epoch == 4 and resumed.state.step == 4 * STEPS
    assert resumed.best_epoch == whole.best_epoch
    assert _same(resumed.model, whole.model)
    last_a = torch.load(tmp_path / "a.pt", weights_only=False)["model"]
    last_b = torch.load(ckpt, weights_only=False)["model"]
    assert all(torch.equal(last_a[k], last_b[k]) for k in last_a)


def test_resume_refuses_a_checkpoint_of_another_config(tmp_path: Path) -> None:
    ckpt = tmp_path / "last.pt"
    fit(_model(), _task(), _cfg(1), checkpoint=ckpt, fingerprint={"d": 1}, progress=False,
        log=lambda _: None)
    with pytest.raises(ValueError, match="different config"):
        fit(_model(), _task(), _cfg(2), checkpoint=ckpt, resume=True, fingerprint={"d": 2},
            progress=False, log=lambda _: None)


def test_the_best_dev_epoch_is_kept() -> None:
    scores = iter([0.1, 0.5, 0.2, 0.3])
    after: list[dict[str, torch.Tensor]] = []

    def scripted(model: nn.Module) -> dict[str, Any]:
        after.append(copy.deepcopy(model.state_dict()))
        return {"score": next(scores)}

    result = fit(_model(), _task(scripted), _cfg(4), progress=False, log=lambda _: None)
    assert result.best_epoch == 2 and result.state.best_score == 0.5
    assert [h["best"] for h in result.history] == [True, True, False, False]
    kept = result.model.state_dict()
    assert all(torch.equal(kept[k], after[1][k]) for k in kept)
    assert not all(torch.equal(kept[k], after[3][k]) for k in kept)


def test_patience_stops_and_plateau_restarts_from_the_best() -> None:
    scores = iter([0.5, 0.4, 0.3, 0.9])
    result = fit(_model(), _task(lambda m: {"score": next(scores)}),
                 _cfg(4, patience=2, plateau_factor=0.5), progress=False, log=lambda _: None)
    assert result.state.epoch == 3 and result.best_epoch == 1  # stopped before epoch 4
    assert result.state.lr_scale == 0.25


def test_without_evaluation_the_last_epoch_is_the_result(tmp_path: Path) -> None:
    result = fit(_model(), _task(), _cfg(2), checkpoint=tmp_path / "c.pt", progress=False,
                 log=lambda _: None)
    last = torch.load(tmp_path / "c.pt", weights_only=False)["model"]
    assert result.best_epoch == 2
    assert all(torch.equal(result.model.state_dict()[k], last[k]) for k in last)


def test_a_kill_while_writing_leaves_the_last_checkpoint_whole(tmp_path: Path,
                                                                monkeypatch: Any) -> None:
    ckpt = tmp_path / "last.pt"
    fit(_model(), _task(), _cfg(1), checkpoint=ckpt, progress=False, log=lambda _: None)
    before = ckpt.read_bytes()

    def killed(payload: Any, out: Any) -> None:
        out.write(b"half a checkpoint")
        raise KeyboardInterrupt  # the process dies in the middle of the write

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        fit(_model(), _task(), _cfg(2), checkpoint=ckpt, resume=True, progress=False,
            log=lambda _: None)
    monkeypatch.undo()
    assert ckpt.read_bytes() == before
    resumed = fit(_model(), _task(), _cfg(2), checkpoint=ckpt, resume=True, progress=False,
                  log=lambda _: None)
    assert resumed.state.epoch == 2 and [h["epoch"] for h in resumed.history] == [1, 2]


def test_warm_up_then_cosine_or_inverse_sqrt() -> None:
    cos = LoopConfig(warmup_steps=4, total_steps=14, final_lr_ratio=0.1)
    assert [lr_factor(cos, s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_factor(cos, 9) == pytest.approx(0.55)
    assert lr_factor(cos, 14) == pytest.approx(0.1) and lr_factor(cos, 99) == pytest.approx(0.1)
    inv = LoopConfig(warmup_steps=4, schedule="inverse_sqrt")
    assert lr_factor(inv, 15) == pytest.approx(0.5)
    assert lr_factor(LoopConfig(schedule="constant"), 50) == 1.0
    with pytest.raises(ValueError, match="schedule"):
        fit(_model(), _task(), LoopConfig(schedule="linear"), progress=False)
    with pytest.raises(ValueError, match="ties"):  # a loaded config is checked as it is built
        LoopConfig.from_dict({"ties": "first"})


def test_each_epoch_logs_a_line_progress_readers_match() -> None:
    lines: list[str] = []
    fit(_model(), _task(_dev_score), _cfg(2), progress=False, log=lines.append)
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "loss " in lines[0] and "score " in lines[0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="AMP runs on CUDA only")
def test_amp_on_cuda_trains_checkpoints_and_resumes(tmp_path: Path) -> None:
    ckpt = tmp_path / "cuda.pt"
    first = fit(_model(), _task(_dev_score), _cfg(1), device="cuda", checkpoint=ckpt,
                progress=False, log=lambda _: None)
    saved = torch.load(ckpt, weights_only=False)
    assert saved["scaler"] and saved["scaler"]["scale"] > 0  # a live GradScaler was saved
    assert np.isfinite(first.history[0]["loss"])
    resumed = fit(_model(), _task(_dev_score), _cfg(2), device="cuda",
                  checkpoint=ckpt, resume=True, progress=False, log=lambda _: None)
    assert resumed.state.epoch == 2 and next(resumed.model.parameters()).is_cuda



def test_a_checkpoint_of_another_format_is_refused_clearly(tmp_path: Path) -> None:
    old = tmp_path / "last.pt"
    torch.save({"model": _model().state_dict(), "opt": {}, "epoch": 3}, old)  # old layout
    with pytest.raises(ValueError, match="not a checkpoint of this training loop"):
        fit(_model(), _task(), _cfg(2), checkpoint=old, resume=True, progress=False,
            log=lambda _: None)
