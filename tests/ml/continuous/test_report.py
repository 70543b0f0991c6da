"""The WER table and the card's verdict sentence from protocol rows."""

from __future__ import annotations

from translation.ml.continuous.bundle import verdict, wer_table


def row(fold: str, variant: str, **wers: float) -> dict[str, object]:
    return {"fold": fold, "variant": variant, "test_sentences": 40, "test_oov_rate": 0.1, **wers}


def test_verdict_compares_against_the_strongest_hmm_of_each_fold() -> None:
    rows = [row("database split", "default", ctc_greedy_wer=0.7, ctc_wer=0.6, hmm_wer=0.65),
            row("database split", "hmm-wide-grid", hmm_wer=0.55),
            row("test signer man-1", "default", ctc_greedy_wer=0.9, ctc_wer=0.8, hmm_wer=0.85)]
    text = verdict(rows, "default")
    assert "CTC (default) 0.700, HMM 0.700" in text  # (0.6 + 0.8) / 2 vs (0.55 + 0.85) / 2
    assert "CTC lower on 1 of 2 folds" in text


def test_table_has_a_dash_where_a_system_did_not_run() -> None:
    table = wer_table([row("database split", "hmm-wide-grid", hmm_wer=0.55)])
    assert table.splitlines()[-1] == "| database split | hmm-wide-grid | 40 | 0.100 | - | - | 0.550 |"
