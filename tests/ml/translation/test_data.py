from __future__ import annotations

import numpy as np
import torch

from translation.ml.data import Example, bucket_batches, collate, split_lines, unk_dropout
from translation.ml.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID


def test_split_lines_counts_like_wc() -> None:
    assert split_lines("A B\r\n\nC\x0cD\u2028E\n") == ["A B", "", "C\x0cD\u2028E"]
    assert split_lines("last line without newline") == ["last line without newline"]
    assert split_lines("") == [] and split_lines("\n") == [""]


def test_collate_pads_and_masks_both_sides() -> None:
    batch = collate([Example(src=[5, 6, 7], tgt=[4], ctc=[2]),
                     Example(src=[8], tgt=[9, 10, 11], ctc=[])])
    assert batch.src.tolist() == [[5, 6, 7], [8, PAD_ID, PAD_ID]]
    assert batch.src_mask.tolist() == [[True, True, True], [True, False, False]]
    assert batch.tgt_in.tolist() == [[BOS_ID, 4, PAD_ID, PAD_ID], [BOS_ID, 9, 10, 11]]
    assert batch.targets.tolist() == [[4, EOS_ID, PAD_ID, PAD_ID], [9, 10, 11, EOS_ID]]
    assert batch.ctc_targets is not None and batch.ctc_targets.tolist() == [[2], [PAD_ID]]
    frames = collate([Example(src=np.ones((4, 3), np.float32), tgt=[4], ctc=[]),
                      Example(src=np.ones((2, 3), np.float32), tgt=[4], ctc=[])])
    assert frames.src.shape == (2, 4, 3) and frames.src.dtype == torch.float32
    assert frames.src[1, 2:].abs().sum() == 0 and frames.ctc_targets is None


def test_bucket_batches_cover_every_index_once() -> None:
    lengths = [5, 1, 9, 3, 3, 7, 2]
    batches = bucket_batches(lengths, 3, shuffle=True)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert bucket_batches(lengths, 3, shuffle=False) == [[1, 6, 3], [4, 0, 5], [2]]


def test_unk_dropout_is_fresh_per_epoch_and_off_at_zero() -> None:
    examples = [Example(src=list(range(2, 402)), tgt=[4], ctc=[], text="t")]
    assert unk_dropout(examples, 0.0, seed=1)(0)[0].src == examples[0].src
    epochs = unk_dropout(examples, 0.25, seed=1)
    first, second = epochs(0)[0].src, epochs(1)[0].src
    for src in (first, second):
        assert len(src) == 400
        assert all(t in (UNK_ID, orig) for t, orig in zip(src, examples[0].src, strict=True))
        assert 0.15 < src.count(UNK_ID) / 400 < 0.35
    assert first != second  # drawn afresh each epoch
    assert epochs(0)[0].src == first  # but reproducibly (resume sees the same epochs)
    assert examples[0].src == list(range(2, 402)) and epochs(0)[0].text == "t"
