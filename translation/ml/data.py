"""Examples, padding with masks, and length-bucketed batches for the translator."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from translation.ml.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID, GlossVocab, TextTokenizer


@dataclass
class Example:
    """One training pair. src: gloss ids (S,) or landmark features (S, F) float32."""

    src: list[int] | np.ndarray
    tgt: list[int]  # piece ids without bos/eos
    ctc: list[int]  # CTC gloss ids (may be empty)
    text: str = ""  # reference text, for evaluation
    source: str = ""  # the gloss line as written (gloss input), for the copy baseline

    @property
    def src_len(self) -> int:
        return len(self.src)


@dataclass
class Batch:
    src: torch.Tensor  # (B, S) long or (B, S, F) float
    src_mask: torch.Tensor  # (B, S) bool, True = real position
    tgt_in: torch.Tensor  # (B, T) bos + pieces
    targets: torch.Tensor  # (B, T) pieces + eos, 0-padded
    ctc_targets: torch.Tensor | None  # (B, G) gloss ids, 0-padded

    def to(self, device: torch.device | str) -> Batch:
        ctc = None if self.ctc_targets is None else self.ctc_targets.to(device)
        return Batch(self.src.to(device), self.src_mask.to(device), self.tgt_in.to(device),
                     self.targets.to(device), ctc)


def split_lines(text: str) -> list[str]:
    """Lines as `wc -l` and line-aligned corpora count them: split on \\n only (str.splitlines
    would also split on form feeds and U+2028), strip a trailing \\r, no phantom last line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_lines(path: str | Path) -> list[str]:
    """Lines of a UTF-8 text file without their newline (empty lines kept, bad bytes replaced)."""
    return split_lines(Path(path).read_text(encoding="utf-8", errors="replace"))


def load_parallel(src_path: str | Path, tgt_path: str | Path) -> list[tuple[str, str]]:
    """Line-aligned (gloss line, text line) pairs; the files must have equal line counts."""
    src, tgt = read_lines(src_path), read_lines(tgt_path)
    if len(src) != len(tgt):
        raise ValueError(f"{src_path} has {len(src)} lines but {tgt_path} has {len(tgt)}")
    return list(zip(src, tgt, strict=True))


def encode_gloss_pairs(
    pairs: Sequence[tuple[str, str]], vocab: GlossVocab, tokenizer: TextTokenizer,
    max_tgt_len: int,
    normalize: Callable[[str], str] | None = None,
) -> list[Example]:
    """Gloss->text examples; pairs with an empty side are dropped, long targets truncated.

    normalize: the bundle's gloss normaliser (translation.ml.glossnorm), applied before lookup."""
    out = []
    for gloss, text in pairs:
        src = vocab.encode(normalize(gloss) if normalize else gloss)
        if not src or not text.strip():
            continue
        out.append(Example(src=src, tgt=tokenizer.encode(text)[:max_tgt_len], ctc=[], text=text,
                           source=gloss))
    return out


def unk_dropout(examples: Sequence[Example], rate: float, seed: int
                ) -> Callable[[int], list[Example]]:
    """Training examples of each epoch with every source gloss replaced by <unk> with
    probability `rate` (word dropout, Sennrich & Zhang 2019), drawn afresh per epoch.

    A vocabulary built from the training glosses never yields <unk> in training, yet unseen
    glosses of new input (15% of NCSLGR's dev types) arrive as <unk>: this teaches the model
    to translate around them. rate 0 returns the examples unchanged."""
    fixed = list(examples)

    def epoch_data(epoch: int) -> list[Example]:
        if rate <= 0:
            return fixed
        rng = random.Random(seed * 100_003 + epoch)  # own stream: the trainer's is untouched
        return [replace(e, src=[UNK_ID if rng.random() < rate else t for t in e.src])
                for e in fixed]
    return epoch_data


def collate(examples: Sequence[Example]) -> Batch:
    """Pad a list of examples into a Batch (right padding, masks True on real positions)."""
    b = len(examples)
    s = max(e.src_len for e in examples)
    first = examples[0].src
    if isinstance(first, np.ndarray):
        src = torch.zeros(b, s, first.shape[1], dtype=torch.float32)
    else:
        src = torch.full((b, s), PAD_ID, dtype=torch.long)
    src_mask = torch.zeros(b, s, dtype=torch.bool)
    t = max(len(e.tgt) for e in examples) + 1
    tgt_in = torch.full((b, t), PAD_ID, dtype=torch.long)
    targets = torch.full((b, t), PAD_ID, dtype=torch.long)
    g = max(len(e.ctc) for e in examples)
    ctc = torch.full((b, g), PAD_ID, dtype=torch.long) if g else None
    for i, e in enumerate(examples):
        src[i, : e.src_len] = torch.as_tensor(np.asarray(e.src))
        src_mask[i, : e.src_len] = True
        tgt_in[i, : len(e.tgt) + 1] = torch.tensor([BOS_ID, *e.tgt])
        targets[i, : len(e.tgt) + 1] = torch.tensor([*e.tgt, EOS_ID])
        if ctc is not None and e.ctc:
            ctc[i, : len(e.ctc)] = torch.tensor(e.ctc)
    return Batch(src, src_mask, tgt_in, targets, ctc)


def bucket_batches(
    lengths: Sequence[int], batch_size: int, shuffle: bool, rng: random.Random | None = None
) -> list[list[int]]:
    """Index batches of similar length (less padding); batch order shuffled when training."""
    rng = rng or random.Random(0)
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)  # ties in length are broken randomly, so batches differ per epoch
    order.sort(key=lambda i: lengths[i])
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches
