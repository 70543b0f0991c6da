"""Accepted annotations -> a training set the model commands read directly.

Layout written under the output folder:

    manifest.json                  provenance: language, since, every annotation and reviewer
    isolated/index.csv             path,sign,job,segment,start,end,frames
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
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from annotation.models import Annotation
from annotation.selectors import accepted_annotations
from landmarks.formats.npz import load_npz, save_npz
from landmarks.sequence import LandmarkSequence

INDEX_FIELDS = ("path", "sign", "job", "segment", "start", "end", "frames")


@dataclass
class ExportSummary:
    out_dir: str
    language: str
    annotations: int = 0
    isolated_samples: int = 0
    translation_pairs: dict[str, int] = field(default_factory=lambda: {"train": 0, "dev": 0})
    skipped: list[str] = field(default_factory=list)


def is_dev(job_id: Any, dev_fraction: float) -> bool:
    """Deterministic split by job: the same clip is always on the same side."""
    digest = hashlib.sha256(str(job_id).encode()).hexdigest()
    return int(digest[:8], 16) / 0x1_0000_0000 < dev_fraction


def cut_segment(sequence: LandmarkSequence, start: float, end: float) -> LandmarkSequence:
    """The frames shown in [start, end) seconds, timestamps rebased to the segment's start.

    Boundaries are kept in whole milliseconds, so a frame starting within half a millisecond of
    a boundary is on the boundary (at 24 fps frame k starts at k/24 s, not a whole millisecond).
    """
    half_ms = 0.0005
    keep = (sequence.timestamps >= start - half_ms) & (sequence.timestamps < end - half_ms)
    timestamps = sequence.timestamps[keep]
    return LandmarkSequence(
        points=sequence.points[keep], presence=sequence.presence[keep],
        timestamps=timestamps - (timestamps[0] if len(timestamps) else 0.0),
        fps=sequence.fps, meta={"cut": [start, end]},
    )


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
            return load_npz(job.landmarks_file) if job.landmarks_file else None
        except OSError as exc:
            self.summary.skipped.append(f"{job.id}: landmarks unreadable ({exc})")
            return None

    def add(self, annotation: Annotation) -> None:
        job = annotation.job
        if "wrong_language" in annotation.flags:
            self.summary.skipped.append(f"{job.id}: flagged as the wrong sign language")
            return
        sequence = self._landmarks(annotation)
        if sequence is not None:
            self._add_segments(annotation, sequence)
        glosses = " ".join(seg["gloss"] for seg in annotation.segments if seg["gloss"])
        if glosses and annotation.translation:
            path = ""
            if sequence is not None:
                path = f"landmarks/{job.id}.npz"
                save_npz(sequence, self.out / "translation" / path)
            split = "dev" if is_dev(job.id, self.dev_fraction) else "train"
            self.pairs.append({"split": split, "job": str(job.id), "path": path,
                               "glosses": glosses, "text": annotation.translation})
        self.records.append(_provenance(annotation))
        self.summary.annotations += 1

    def _add_segments(self, annotation: Annotation, sequence: LandmarkSequence) -> None:
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
                "frames": len(clip),
            })

    def finish(self, manifest: dict[str, Any]) -> None:
        _write_csv(self.out / "isolated" / "index.csv", INDEX_FIELDS, self.isolated_rows)
        if self.pairs and not any(p["split"] == "dev" for p in self.pairs) and len(self.pairs) > 1:
            self.pairs[-1]["split"] = "dev"  # train-translation needs a non-empty dev set
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
    language: str, out_dir: str | Path, since: datetime | None = None, dev_fraction: float = 0.1,
    progress: bool = False,
) -> ExportSummary:
    """Write the accepted annotations of `language` (reviewed at or after `since`) to out_dir."""
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
