"""Writing a continuous-gloss bundle: weights, config, glosses, LM text, metrics and card."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlcore.bundle import MANIFEST, write_bundle
from mlcore.card import ModelCard, table, write_card
from translation.ml.continuous.features import FEATURE_DIM, FEATURE_SET, TRAIN_FPS
from translation.ml.continuous.infer import LM_FILE
from translation.ml.continuous.train import (
    ContinuousBundleConfig,
    ContinuousDecode,
    ContinuousFeatures,
)

LICENCE = (
    "Research use only. Trained on RWTH-BOSTON-104 hand tracks (RWTH Aachen i6; videos from "
    "Boston University's NCSLGR recordings) as copied by udacity/AIND-Recognizer (repository "
    "MIT). Cite: P. Dreuw, D. Rybach, T. Deselaers, M. Zahedi, H. Ney, \"Speech Recognition "
    "Techniques for a Sign Language Recognition System\", Interspeech 2007."
)


def write_continuous_bundle(out: str | Path, name: str, language: str, ctc: Any,
                            settings: Any, row: dict[str, Any],
                            protocol: Sequence[dict[str, Any]], command: str) -> Path:
    """ctc: evaluate.CTCResult of the database-split fold; row: that fold's metrics."""
    config = ContinuousBundleConfig(
        model=ctc.model.cfg, train=settings.train,
        features=ContinuousFeatures(set=FEATURE_SET, dim=FEATURE_DIM, fps=TRAIN_FPS),
        decode=ContinuousDecode(beam=ctc.decoder)).to_dict()
    metrics = {"database_split": row, "protocol": list(protocol), "command": command}
    root = write_bundle(out, task="continuous", language=language, name=name, config=config,
                        state_dict=ctc.model.state_dict(), metrics=metrics,
                        card=model_card(name, row, protocol, command), vocabulary=ctc.vocab)
    (root / LM_FILE).write_text(json.dumps(ctc.lm_sentences) + "\n")
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["files"] = sorted({*manifest["files"], LM_FILE})
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return root


def refresh_protocol(bundle_dir: str | Path, rows: Sequence[dict[str, Any]]) -> None:
    """Put the finished protocol rows (every fold and variant) into metrics.json and the card."""
    root = Path(bundle_dir)
    metrics = json.loads((root / "metrics.json").read_text())
    metrics["protocol"] = list(rows)
    (root / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    manifest = json.loads((root / MANIFEST).read_text())
    card = model_card(manifest["name"], metrics["database_split"], rows, metrics["command"])
    write_card(root, card)


def verdict(rows: Sequence[dict[str, Any]], variant: str) -> str:
    """One honest sentence: mean WER of `variant`'s CTC vs the HMM over the folds having both
    (where several rows hold an HMM result for a fold, the lowest WER: the stronger baseline)."""
    hmm: dict[str, float] = {}
    for r in rows:
        if "hmm_wer" in r:
            hmm[r["fold"]] = min(r["hmm_wer"], hmm.get(r["fold"], float("inf")))
    ctc = {r["fold"]: r["ctc_wer"] for r in rows
           if r.get("variant", "") == variant and r["fold"] in hmm and "ctc_wer" in r}
    if not ctc:
        return ""
    c, h = sum(ctc.values()) / len(ctc), sum(hmm[f] for f in ctc) / len(ctc)
    wins = sum(ctc[f] < hmm[f] for f in ctc)
    better = "the CTC recogniser" if c < h else "the HMM baseline"
    return (f"Mean over {len(ctc)} folds: CTC ({variant or 'default'}) {c:.3f}, HMM {h:.3f}; "
            f"{better} is better on average (CTC lower on {wins} of {len(ctc)} folds).")


def wer_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown table of gloss WER per fold (and variant)."""
    def cell(r: dict[str, Any], key: str) -> str:
        return f"{r[key]:.3f}" if key in r else "-"

    return "\n".join(table(["fold", "variant", "test sent.", "OOV", "CTC greedy", "CTC chosen decoder",
                  "HMM+LM"],
                 [[r["fold"], r.get("variant", "default"), r["test_sentences"],
                   f"{r['test_oov_rate']:.3f}", cell(r, "ctc_greedy_wer"), cell(r, "ctc_wer"),
                   cell(r, "hmm_wer")] for r in rows]))


def model_card(name: str, row: dict[str, Any], protocol: Sequence[dict[str, Any]],
               command: str) -> str:
    decoder = row["ctc_decoder"]
    hmm = row.get("hmm_wer", next((r["hmm_wer"] for r in protocol if r["fold"] == row["fold"]
                                   and r.get("variant") == "default" and "hmm_wer" in r), None))
    hmm_text = "not run" if hmm is None else f"{hmm:.3f}"
    decoder_text = "greedy (best path)" if decoder == "greedy" else (
        f"prefix beam search, beam {decoder['beam']}, bigram gloss LM weight "
        f"{decoder['lm_weight']}, insertion bonus {decoder['insertion_bonus']}")
    card = ModelCard(name, f"""Continuous ASL gloss recognition: MediaPipe Holistic landmarks (or BOSTON-104 hand tracks) ->
gloss sequence with start/end times. Encoder of seed 004 (pre-LN transformer) with a CTC head
({row.get("variant") or "default"} configuration, config.json), trained on RWTH-BOSTON-104: the
database's 161 training sentences (3 signers) minus a seeded 15% dev part that chose the epoch
and the decoder ({row["train_sentences"]} train / {row["dev_sentences"]} dev sentences).""",
                     commands=[command])
    card.add("Input", f"""Feature set `{FEATURE_SET}` at {TRAIN_FPS:g} fps: both hands' positions relative to the nose,
divided by the clip's RMS hand-nose distance, plus velocities (translation/ml/continuous/
features.py). MediaPipe clips are resampled to {TRAIN_FPS:g} fps; the hand position is the mean
of the 21 hand points. No hand shape: glosses that differ only in hand shape are confusable.""")
    card.add("Results (gloss WER, jiwer; lower is better)", f"""The bundle is the model of the database split: test {row['test_sentences']} sentences,
CTC {row['ctc_wer']:.3f} with its decoder chosen on dev ({decoder_text}), greedy
{row['ctc_greedy_wer']:.3f}; the Gaussian-HMM + bigram LM baseline on the same sentences
{hmm_text}. Protocol rows (every choice made on a dev part of the
training sentences; OOV = test tokens unseen in training):""", wer_table(protocol or [row]),
             verdict(protocol or [row], str(row.get("variant", ""))))
    card.add("Limits", """Hands-only 2-D positions (no hand shape, no face): 113 glosses from 201 sentences is tiny, and
signers never seen in training are recognised far worse than the database split (see the
signer rows). Gloss times come from a Viterbi CTC alignment; CTC outputs are spiky, so a time
marks where the model was sure rather than the whole sign. The glosses are BOSTON's
(IX-1P, GIVE1, POSS ...).""")
    card.add("Data and licence", f"{LICENCE}\nKeep it to research, tests and benchmarks.")
    return card.render()
