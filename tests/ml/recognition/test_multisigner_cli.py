"""The committed models/asl-signs bundle and `slrweb evaluate-isolated` on real GISLR-layout
folders: metrics fields, top-1 recomputed from the predictions, aliases and out-of-vocabulary
labels counted (not an IndexError)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from landmarks.formats.parquet import load_parquet
from recognition.ml.infer import IsolatedPredictor
from slrweb.cli import main
from tests.ml.recognition.test_multisigner import small_set

BUNDLE = Path(__file__).resolve().parents[3] / "models" / "asl-signs"
VOCAB = ["hello", "iloveyou", "thankyou"]


def merged_set(shared_data: Path, out: Path) -> tuple[Path, int]:
    """One GISLR-layout folder: a clip per (participant, sign) of MP_Data and of two GISLR
    signers, plus 3 SILFA letters (labels the bundle does not know). Returns (folder, #letters)."""
    parts = [small_set(shared_data, out / name, name, 1)
             for name in ("gislr_asl_signs_subset", "mpdata_multi")]
    rows = []
    for part in parts:
        with open(part / "train.csv", newline="") as handle:
            rows += list(csv.DictReader(handle))
    rows = [r for r in rows if not r["participant_id"].isdigit()
            or r["participant_id"] in ("2044", "16069")]
    silfa = shared_data / "isolated" / "silfa_fingerspelling"
    with open(silfa / "train.csv", newline="") as handle:
        letters = [{**r, "path": str(silfa / r["path"])} for r in csv.DictReader(handle)][:3]
    with open(out / "train.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + letters)
    return out, len(letters)


def signs(folder: Path) -> list[str]:
    with open(folder / "train.csv", newline="") as handle:
        return [r["sign"] for r in csv.DictReader(handle)]


def test_bundle_loads_and_predicts_a_real_clip(shared_data: Path) -> None:
    predictor = IsolatedPredictor.from_bundle(BUNDLE)
    assert predictor.vocabulary == VOCAB
    assert predictor.config.aliases == {"thanks": "thankyou"}
    assert predictor.config.train.split == "participants"
    assert sum(f.stat().st_size for f in BUNDLE.iterdir()) < 5_000_000
    clip = shared_data / "isolated" / "gislr_asl_signs_subset" / "train_landmark_files"
    seq = load_parquet(next((clip / "2044").glob("*.parquet")))
    top = predictor.predict_clip(seq, top_k=3)
    assert [t["gloss"] for t in top] and {t["gloss"] for t in top} == set(VOCAB)
    assert abs(sum(t["prob"] for t in top) - 1) < 1e-3


def test_evaluate_isolated_on_a_gislr_folder(shared_data: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    data, n_letters = merged_set(shared_data, tmp_path / "data")
    out = tmp_path / "report"
    assert main(["evaluate-isolated", "--model", str(BUNDLE), "--data-format", "gislr",
                 "--data", str(data), "--split-part", "all", "--out", str(out)]) == 0
    capsys.readouterr()
    metrics = json.loads((out / "metrics.json").read_text())
    preds = metrics["predictions"]
    # MP_Data's thanks is scored as thankyou; the letters are counted, not scored.
    assert metrics["out_of_vocabulary"] == n_letters
    assert sum(metrics["out_of_vocabulary_labels"].values()) == n_letters
    assert {p["label"] for p in preds} == set(VOCAB)
    rows = signs(data)
    assert metrics["n"] == len(preds) == len(rows) - n_letters
    assert [p["label"] for p in preds].count("thankyou") == rows.count("thanks") + rows.count(
        "thankyou")
    hand_top1 = np.mean([p["predicted"] == p["label"] for p in preds])
    assert metrics["top1"] == round(float(hand_top1), 4)
    assert metrics["top5"] == 1.0  # three classes: the truth is always in the top 5
    assert set(metrics["per_participant"]) == {p["participant"] for p in preds}
    assert sum(v["n"] for v in metrics["per_participant"].values()) == len(preds)
    assert np.array(metrics["confusion"]).sum() == len(preds)
    assert set(metrics["per_class"]) == set(VOCAB)
    assert (out / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_an_alias_option_overrides_the_bundles(shared_data: Path, tmp_path: Path) -> None:
    data = small_set(shared_data, tmp_path / "mp", "mpdata_multi", 1)
    out = tmp_path / "report"
    assert main(["evaluate-isolated", "--model", str(BUNDLE), "--data-format", "gislr",
                 "--data", str(data), "--split-part", "all", "--out", str(out),
                 "--alias", "thanks=merci"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    rows = signs(data)
    assert metrics["out_of_vocabulary_labels"] == {"merci": rows.count("thanks")} != {"merci": 0}
    assert metrics["n"] == len(rows) - rows.count("thanks")


def test_split_part_test_scores_only_the_bundles_test_signers(shared_data: Path,
                                                             tmp_path: Path) -> None:
    """On one of the two data sets alone the participant groups would differ: the bundle's
    record of its test signers decides."""
    data = small_set(shared_data, tmp_path / "gislr", "gislr_asl_signs_subset", 1)
    out = tmp_path / "report"
    assert main(["evaluate-isolated", "--model", str(BUNDLE), "--data-format", "gislr",
                 "--data", str(data), "--split-part", "test", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    test_people = json.loads((BUNDLE / "metrics.json").read_text())["participants"]["test"]
    scored = set(metrics["per_participant"])
    assert scored and scored <= set(test_people)
    assert scored == {p for p in test_people if p.isdigit()}  # the GISLR ones


@pytest.mark.slow  # 8 tiny trainings: ~15 s on an idle core, more on the shared VM
def test_train_isolated_cross_validates_by_participant(shared_data: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Tiny model on one clip per (signer, sign) of MP_Data: the fixed split's fold is the
    main model itself (entered, not retrained), and every signer is tested once."""
    data = small_set(shared_data, tmp_path / "mp", "mpdata_multi", 1)
    out = tmp_path / "bundle"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "aliases": {"thanks": "thankyou"},
        "model": {"d_model": 16, "n_heads": 2, "n_layers": 1, "cross_modal_heads": 2,
                  "max_frames": 8, "velocity": True, "cross_modal": False},
        "train": {"epochs": 1, "steps_per_epoch": 2, "batch_size": 8, "warmup_steps": 1,
                  "clip_min": 8, "clip_max": 8, "eval_clip_lens": [8], "split": "participants",
                  "n_blocks": 3, "val_block": 0, "test_block": 2, "whole_clips": True,
                  "baseline": "clip-stats"}}))
    assert main(["train-isolated", "--config", str(config), "--data-format", "gislr", "--data",
                 str(data), "--out", str(out), "--checkpoint-dir", str(tmp_path / "ckpt"),
                 "--cv", "--ablate"]) == 0
    capsys.readouterr()
    metrics = json.loads((out / "metrics.json").read_text())
    cv = metrics["cross_validation"]
    tested = sorted(p for fold in cv["folds"] for p in fold["test_participants"])
    assert tested == sorted({p for part in metrics["participants"].values() for p in part})
    own = cv["folds"][2]
    assert own["test_participants"] == metrics["participants"]["test"]
    assert own["variants"]["cross_modal=off,velocity=on"]["top1"] == metrics["test"]["clip8"][
        "top1"]
    assert len(cv["ablation"]["variants"]) == 4
    card = (out / "MODEL_CARD.md").read_text()
    assert "k-fold by participant" in card and "### Ablation" in card
