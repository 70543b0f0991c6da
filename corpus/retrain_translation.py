"""`slrweb retrain --task translation`: the active translator fine-tuned on the language's
accepted corrected translations, registered as a candidate (like corpus.retrain does for
isolated signs).

The corrections come from corpus.dataset.export_dataset, so held-out clips (corpus.split) are
never trained on and train/dev follow the one split. A landmarks-input bundle learns from each
clip's cached landmarks (the job's landmarks_file) with its corrected text; a gloss-input bundle
from the corrected gloss line and text. The training itself is translation.ml.finetune.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from corpus.retrain import Log, retrain_command
from registry.models import ModelVersion, SignLanguage

OnEpoch = Callable[[int, int], None]


def read_translation_export(folder: Path) -> dict[str, list]:
    """The translation pairs of an export folder as finetune Corrections, per split."""
    from landmarks.formats.npz import load_npz
    from translation.ml.finetune import Correction

    out: dict[str, list] = {"train": [], "dev": []}
    with open(folder / "translation" / "index.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            path = row["path"]
            sequence = load_npz(folder / "translation" / path) if path else None
            out[row["split"]].append(Correction(text=row["text"], glosses=row["glosses"].split(),
                                                sequence=sequence))
    return out


def retrain_translation(
    language: SignLanguage, base: ModelVersion, *, since: datetime | None = None,
    epochs: int = 10, lr: float = 1e-4, device: str = "cpu", work_dir: Path | None = None,
    log: Log = print, on_epoch: OnEpoch | None = None,
) -> ModelVersion:
    """Fine-tune `base` on the accepted corrections; register and return the candidate."""
    from corpus.dataset import export_dataset
    from registry.services import register_bundle
    from translation.ml.finetune import finetune, summary

    with tempfile.TemporaryDirectory(prefix="slrweb-retrain-") as tmp:
        root = work_dir or Path(tmp)
        exported = export_dataset(language.code, root / "corrections", since=since)
        data = read_translation_export(root / "corrections")
        log(f"corrected translations: {len(data['train'])} train, {len(data['dev'])} dev; "
            f"{exported.held_out_clips} clips held out for evaluation")
        provenance = {"retrain": {
            "from_version": base.label, "train_pairs": len(data["train"]),
            "dev_pairs": len(data["dev"]), "held_out_clips": exported.held_out_clips,
            "since": since.isoformat() if since else None}}
        bundle = finetune(
            base.bundle_dir, data["train"], data["dev"], root / "bundle", name=base.name,
            language=language.code, card=_card(base, data, exported.held_out_clips, since,
                                                retrain_command(language, "translation", base,
                                                                since, "--epochs", str(epochs),
                                                                "--lr", str(lr), "--device",
                                                                device)),
            epochs=epochs, lr=lr, device=device, on_epoch=on_epoch, extra_metrics=provenance)
        version = register_bundle(bundle, language)
    log(f"fine-tuned {base.label} -> {version.label}: {summary(version.metrics)}")
    return version


def _card(base: ModelVersion, data: dict[str, list], held_out: int,
          since: datetime | None, command: str) -> str:
    from mlcore.card import ModelCard

    return ModelCard(f"{base.name} (fine-tuned from {base.label})",
                     commands=[command]).add("Data", [
        f"- starting point: {base.label} (see its model card for its data and licence)",
        f"- accepted corrected translations: {len(data['train'])} train, {len(data['dev'])} dev"
        + (f", reviewed since {since.date()}" if since else ""),
        f"- held out for evaluation, not trained on: {held_out} clips",
    ]).render()
