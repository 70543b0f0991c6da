"""Training of the translator on the core loop (mlcore.train): what is the translator's own.

`fit` is data-agnostic: it takes a function giving the training examples of an epoch (fixed for
gloss->text, freshly synthesised for fingerspelling), bucketed into batches by length, and a
fixed dev set scored greedily by BLEU-4 (or character error rate for single words). AdamW with
the Transformer's betas, warm-up then inverse square-root decay, AMP on CUDA, clipping,
checkpoints, resume, early stopping and the plateau restart are the core loop's.

Checkpoint averaging (TrainConfig.average_last = K): each epoch's weights are written beside the
checkpoint (epoch-NNN.pt, the last K kept, so a resumed run finds them), and the result is the
element-wise mean of the last K epochs' weights instead of the best epoch's.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch

from mlcore.train import LoopConfig, LoopState, Task, save_atomic
from mlcore.train import fit as core_fit
from translation.ml.config import TrainConfig
from translation.ml.data import Batch, Example, bucket_batches, collate
from translation.ml.evaluate import evaluate_examples
from translation.ml.ensemble import Seq2Seq
from translation.ml.tokenizer import GlossVocab, TextTokenizer

EpochData = Callable[[int], Sequence[Example]]
M = TypeVar("M", bound=Seq2Seq)  # one model or an ensemble; fit returns what it was given


def loop_config(cfg: TrainConfig) -> LoopConfig:
    """The translator's training settings as the core loop's (ties keep the earlier epoch:
    an unchanged dev score is no improvement, so patience and the plateau restart count it)."""
    return LoopConfig(epochs=cfg.epochs, lr=cfg.lr, weight_decay=cfg.weight_decay,
                      betas=(0.9, 0.98), eps=1e-9, warmup_steps=cfg.warmup_steps,
                      schedule=cfg.schedule, grad_clip=cfg.grad_clip, seed=cfg.seed,
                      eval_every=cfg.eval_every, patience=cfg.patience,
                      plateau_factor=cfg.plateau_factor, ties="earlier",
                      max_minutes=cfg.max_minutes)


def translation_loss(model: Seq2Seq, batch: Batch) -> dict[str, torch.Tensor]:
    """The joint loss terms of one batch (text cross-entropy, CTC; "loss" is their sum)."""
    memory = model.encode(batch.src, batch.src_mask)
    logits = model.decode(batch.tgt_in, memory, batch.src_mask)
    return model.loss_terms(logits, batch.targets, memory, batch.src_mask, batch.ctc_targets)


def fit(
    model: M,
    train_data: EpochData,
    dev: Sequence[Example],
    tokenizer: TextTokenizer,
    cfg: TrainConfig,
    ckpt_dir: Path,
    gloss_vocab: GlossVocab | None = None,
    device: str = "cpu",
    resume: bool = False,
    command: str = "",
) -> tuple[M, LoopState]:
    """Train until cfg.epochs, early stopping or the time budget; return the best model and
    the loop state (ckpt_dir/last.pt is the checkpoint)."""

    def batches(epoch: int) -> Iterator[Batch]:
        examples = train_data(epoch)
        # Bucket by the longer side: that is what sets the padded batch's cost.
        lengths = [max(e.src_len, len(e.tgt)) for e in examples]
        rng = random.Random(cfg.seed * 1000 + epoch)
        for idx in bucket_batches(lengths, cfg.batch_size, True, rng):
            yield collate([examples[i] for i in idx])

    def dev_metrics(model: Seq2Seq) -> dict[str, Any]:
        metrics, _ = evaluate_examples(model, dev, tokenizer, gloss_vocab, device=device)
        return {"dev_bleu": metrics["bleu4"], "dev_chrf": metrics["chrf"],
                "dev_cer": metrics["cer"], "dev_ctc_wer": metrics["ctc_gloss_wer"]}

    def score(metrics: dict[str, Any]) -> float:
        if cfg.select_metric == "cer":
            return -float(metrics["dev_cer"])
        return float(metrics["dev_bleu"])

    keep = (lambda m, epoch: keep_epoch_weights(m, ckpt_dir, epoch, cfg.average_last)
            ) if cfg.average_last > 0 else None
    task = Task(batches=batches, loss=translation_loss, evaluate=dev_metrics, score=score,
                after_epoch=keep)
    done = core_fit(model, task, loop_config(cfg), device=device,
                    checkpoint=ckpt_dir / "last.pt", resume=resume, command=command)
    if cfg.average_last > 0:
        paths = epoch_weight_files(ckpt_dir, done.state.epoch)[-cfg.average_last:]
        if paths:
            done.model.load_state_dict(average_weights(paths))
    return done.model, done.state  # type: ignore[return-value]


def epoch_weight_file(ckpt_dir: Path, epoch: int) -> Path:
    return ckpt_dir / f"epoch-{epoch:03d}.pt"


def epoch_weight_files(ckpt_dir: Path, up_to: int) -> list[Path]:
    """The kept epoch weights of epochs <= up_to, oldest first."""
    found = sorted((int(p.stem.split("-")[1]), p) for p in ckpt_dir.glob("epoch-[0-9]*.pt"))
    return [p for epoch, p in found if epoch <= up_to]


def keep_epoch_weights(model: torch.nn.Module, ckpt_dir: Path, epoch: int, keep: int) -> None:
    """Write the weights `epoch` ended with; drop kept weights older than the last `keep`."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    save_atomic({k: v.detach().cpu() for k, v in model.state_dict().items()},
                epoch_weight_file(ckpt_dir, epoch))
    for path in epoch_weight_files(ckpt_dir, epoch)[:-keep]:
        path.unlink()


def average_weights(paths: Sequence[Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of state dicts (floating tensors; others, e.g. integer buffers, are
    taken from the last)."""
    states = [torch.load(p, map_location="cpu", weights_only=True) for p in paths]
    out = {}
    for name, last in states[-1].items():
        if last.is_floating_point():
            out[name] = sum(s[name].double() for s in states).div(len(states)).to(last.dtype)
        else:
            out[name] = last
    return out
