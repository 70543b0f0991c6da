"""Accepted annotations -> a training set the model commands read directly.

Layout written under the output folder:

    manifest.json                  provenance: language, since, every annotation and reviewer
    isolated/index.csv             path,sign,job,segment,start,end,frames,split (train|dev)
    isolated/clips/<job>-<seg>.npz one accepted segment's landmarks (landmarks.formats.npz)
    translation/{train,dev}.gloss  the segments' glosses of a clip, one clip per line
    translation/{train,dev}.text   its accepted translation, line-aligned with .gloss
    translation/index.csv          split,job,path,glosses,text (path: the whole clip's landmarks)
    translation/landmarks/<job>.npz

`isolated/` is the `npz-dir` format of recognition.ml.data.load_runs
(`slrweb train-isolated --data-format npz-dir --data OUT/isolated`); the .gloss/.text pairs are the
line-aligned gloss input of `slrweb train-translation --input-kind gloss` (--train-src/--train-tgt,
--dev-src/--dev-tgt). Clips flagged as a bad extraction give no landmarks (their glosses and text
still make a gloss->text pair); clips flagged as the wrong language give nothing.

Which clip is train or dev, and which is held out, is decided by corpus.split.split_of alone.
Held-out clips are left out of every export (counted in the summary): they are what new model
versions are evaluated on (corpus.evaluation), so no training set may contain them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from annotation.models import Annotation
from annotation.selectors import accepted_annotations
from corpus.segments import cut_segment
from corpus.split import DEV_SHARE, split_key, split_of
from jobs.files import read_landmarks
from landmarks.formats.npz import save_npz
from landmarks.sequence import LandmarkSequence

INDEX_FIELDS = ("path", "sign", "job", "segment", "start", "end", "frames", "split")


@dataclass
class ExportSummary:
    out_dir: str
    language: str
    annotations: int = 0
    isolated_samples: int = 0
    translation_pairs: dict[str, int] = field(default_factory=lambda: {"train": 0, "dev": 0})
    held_out_clips: int = 0  # accepted, but kept for evaluation: not in this export
    held_out_segments: int = 0
    skipped: list[str] = field(default_factory=list)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:40]


class _Writer:
    """Writes one export folder; `add` takes one accepted annotation."""

    def __init__(self, out: Path, summary: ExportSummary, dev_fraction: float) -> None:
        self.out, self.summary, self.dev_fraction = out, summary, dev_fraction
        (out / "isolated" / "clips").mkdir(parents=True, exist_ok=True)
        (out / "translation" / "landmarks").mkdir(parents=True, exist_ok=True)
        self.isolated_rows: list[dict[str, Any]] = []
        self.pairs: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []

    def _landmarks(self, annotation: Annotation) -> LandmarkSequence | None:
        job = annotation.job
        if "bad_extraction" in annotation.flags:
            self.summary.skipped.append(f"{job.id}: landmarks flagged as a bad extraction")
            return None
        try:
            return read_landmarks(job.landmarks_file) if job.landmarks_file else None
        except OSError as exc:
            self.summary.skipped.append(f"{job.id}: landmarks unreadable ({exc})")
            return None

    def add(self, annotation: Annotation) -> None:
        job = annotation.job
        if "wrong_language" in annotation.flags:
            self.summary.skipped.append(f"{job.id}: flagged as the wrong sign language")
            return
        split = split_of(split_key(job), self.dev_fraction)
        if split == "held_out":
            self.summary.held_out_clips += 1
            self.summary.held_out_segments += len(annotation.segments)
            return
        sequence = self._landmarks(annotation)
        if sequence is not None:
            self._add_segments(annotation, sequence, split)
        glosses = " ".join(seg["gloss"] for seg in annotation.segments if seg["gloss"])
        if glosses and annotation.translation:
            path = ""
            if sequence is not None:
                path = f"landmarks/{job.id}.npz"
                save_npz(sequence, self.out / "translation" / path)
            self.pairs.append({"split": split, "job": str(job.id), "path": path,
                               "glosses": glosses, "text": annotation.translation})
        self.records.append(_provenance(annotation))
        self.summary.annotations += 1

    def _add_segments(self, annotation: Annotation, sequence: LandmarkSequence,
                      split: str) -> None:
        for seg in annotation.segments:
            clip = cut_segment(sequence, seg["start"], seg["end"])
            if not len(clip) or not np.isfinite(clip.points).any():
                self.summary.skipped.append(
                    f"{annotation.job_id} segment {seg['id']}: no landmarks in "
                    f"{seg['start']:.3f}-{seg['end']:.3f} s")
                continue
            path = f"clips/{annotation.job_id}-{_safe(seg['id'])}.npz"
            save_npz(clip, self.out / "isolated" / path)
            self.isolated_rows.append({
                "path": path, "sign": seg["gloss"], "job": str(annotation.job_id),
                "segment": seg["id"], "start": seg["start"], "end": seg["end"],
                "frames": len(clip), "split": split,
            })

    def finish(self, manifest: dict[str, Any]) -> None:
        _write_csv(self.out / "isolated" / "index.csv", INDEX_FIELDS, self.isolated_rows)
        if self.pairs and not any(p["split"] == "dev" for p in self.pairs):
            # Not patched by moving a clip: the split is corpus.split's alone.
            self.summary.skipped.append("no clip fell in the dev split: give train-translation "
                                        "a dev set of its own (--dev-src/--dev-tgt)")
        _write_csv(self.out / "translation" / "index.csv",
                   ("split", "job", "path", "glosses", "text"), self.pairs)
        for split in ("train", "dev"):
            chosen = [p for p in self.pairs if p["split"] == split]
            self.summary.translation_pairs[split] = len(chosen)
            for suffix, key in ((".gloss", "glosses"), (".text", "text")):
                lines = "".join(" ".join(p[key].split()) + "\n" for p in chosen)
                (self.out / "translation" / f"{split}{suffix}").write_text(lines, encoding="utf-8")
        self.summary.isolated_samples = len(self.isolated_rows)
        manifest.update(summary=asdict(self.summary), annotations=self.records)
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))


def _write_csv(path: Path, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)


def _provenance(annotation: Annotation) -> dict[str, Any]:
    review = annotation.reviews.filter(decision="accept").select_related("reviewer").first()
    return {
        "job": str(annotation.job_id),
        "annotator": annotation.annotator.get_username() if annotation.annotator else None,
        "reviewer": review.reviewer.get_username() if review and review.reviewer else None,
        "reviewed": annotation.reviewed.isoformat() if annotation.reviewed else None,
        "revision": annotation.revision,
        "corrects": annotation.base_models,
        "flags": annotation.flags,
        "segments": annotation.segments,
        "translation": annotation.translation,
    }


def iter_accepted(language: str, since: datetime | None = None) -> Iterator[Annotation]:
    """Accepted annotations of a language (oldest review first), for exports and evaluation."""
    yield from accepted_annotations(language, since).prefetch_related("reviews")


def export_dataset(
    language: str, out_dir: str | Path, since: datetime | None = None,
    dev_fraction: float = DEV_SHARE,
    progress: bool = False,
) -> ExportSummary:
    """Write the accepted annotations of `language` (reviewed at or after `since`) to out_dir,
    held-out clips left out."""
    out = Path(out_dir)
    summary = ExportSummary(out_dir=str(out), language=language)
    writer = _Writer(out, summary, dev_fraction)
    annotations = list(iter_accepted(language, since))
    if progress:
        from tqdm import tqdm

        annotations = tqdm(annotations, desc="annotations", unit="clip")
    for annotation in annotations:
        writer.add(annotation)
    writer.finish({
        "format": "slrweb-corrections/1",
        "language": language,
        "since": since.isoformat() if since else None,
        # Run from the export folder.
        "train_isolated": "slrweb train-isolated --data-format npz-dir --data isolated "
                          "--language " + language + " --out BUNDLE",
        "train_translation": "slrweb train-translation --input-kind gloss "
                             "--train-src translation/train.gloss --train-tgt translation/train.text "
                             "--dev-src translation/dev.gloss --dev-tgt translation/dev.text "
                             "--language " + language + " --name NAME --out BUNDLE",
    })
    return summary
