"""Model bundles: the unit that training writes, admins upload and workers load.

A bundle is a folder (or a .zip of one) holding:

    bundle.json       manifest: format, task, language, name, created, files
    config.json       the model config (a frozen dataclass serialised with dataclasses.asdict)
    model.safetensors the weights
    vocab.txt         one gloss per line (isolated task; the class index is the line number;
                      embedding task: the labels it was trained on, not outputs)
    spm.model         SentencePiece model (translation task), optional glosses.txt for CTC glosses
                      (continuous task: glosses.txt alone, line i = CTC output i, 0 = blank)
    metrics.json      evaluation results
    MODEL_CARD.md     data, licence, the exact command that produced the bundle
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BUNDLE_FORMAT = "slrweb-bundle/1"
TASKS = ("isolated", "translation", "continuous", "fingerspelling", "embedding")
# An embedding maps a clip to a vector (recognition.ml.embedding); it outputs no glosses of its
# own: a language's enrolled reference clips give it its vocabulary (recognition.ml.enroll).
# Tasks served by the encoder-decoder translator (text out, SentencePiece): a fingerspelling
# model is a landmarks->text translator that the chain runs on spelled spans.
TEXT_TASKS = ("translation", "fingerspelling")
MANIFEST = "bundle.json"
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
VOCAB = "vocab.txt"
SPM = "spm.model"
GLOSSES = "glosses.txt"
METRICS = "metrics.json"
CARD = "MODEL_CARD.md"


class BundleError(ValueError):
    """A bundle is missing a file, or its parts disagree with each other."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    task: str
    language: str
    name: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    # glosses (isolated) or CTC glosses; empty for an embedding (its vocab.txt lists the labels
    # it was trained on, which are not outputs)
    vocabulary: list[str] = field(default_factory=list)
    card: str = ""

    @property
    def weights_path(self) -> Path:
        return self.path / WEIGHTS

    @property
    def spm_path(self) -> Path:
        return self.path / SPM

    def load_state_dict(self, device: str = "cpu") -> dict[str, Any]:
        from safetensors.torch import load_file

        return load_file(str(self.weights_path), device=device)


def write_bundle(
    out_dir: str | Path,
    *,
    task: str,
    language: str,
    name: str,
    config: dict[str, Any],
    state_dict: dict[str, Any],
    metrics: dict[str, Any],
    card: str,
    vocabulary: list[str] | None = None,
    spm_model: str | Path | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write a complete bundle folder and return its path; `extra_files` (name -> contents)
    are written beside the others and listed in the manifest."""
    from safetensors.torch import save_file

    if task not in TASKS:
        raise BundleError(f"unknown task {task!r}; expected one of {TASKS}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
    save_file(tensors, str(out / WEIGHTS))
    (out / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (out / METRICS).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    from mlcore.card import write_card  # the card module reads this one's file names

    write_card(out, card)
    files = [CONFIG, WEIGHTS, METRICS, CARD]
    if vocabulary is not None:
        vocab_file = VOCAB if task in ("isolated", "embedding") else GLOSSES
        (out / vocab_file).write_text("\n".join(vocabulary) + "\n")
        files.append(vocab_file)
    if spm_model is not None:
        if Path(spm_model).resolve() != (out / SPM).resolve():
            shutil.copyfile(spm_model, out / SPM)
        files.append(SPM)
    for extra, contents in (extra_files or {}).items():
        if "/" in extra or extra in files:
            raise BundleError(f"extra bundle file {extra!r} is not a free top-level name")
        (out / extra).write_bytes(contents)
        files.append(extra)
    manifest = {
        "format": BUNDLE_FORMAT,
        "task": task,
        "language": language,
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": sorted(files),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BundleError(f"bundle is missing {path.name}") from exc
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BundleError(f"{path.name} must hold a JSON object")
    return data


def read_bundle(path: str | Path) -> Bundle:
    """Read and check a bundle folder: every listed file present, task-specific files there."""
    root = Path(path)
    if not root.is_dir():
        raise BundleError(f"{root} is not a bundle folder")
    manifest = _read_json(root / MANIFEST)
    if manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"unsupported bundle format {manifest.get('format')!r}")
    task = manifest.get("task")
    if task not in TASKS:
        raise BundleError(f"unknown task {task!r} in {MANIFEST}")
    for name in manifest.get("files", []):
        if not (root / name).is_file():
            raise BundleError(f"bundle lists {name} but the file is missing")
    if not (root / WEIGHTS).is_file():
        raise BundleError(f"bundle is missing {WEIGHTS}")
    config = _read_json(root / CONFIG)
    vocabulary: list[str] = []
    if task == "isolated":
        if not (root / VOCAB).is_file():
            raise BundleError(f"an isolated bundle needs {VOCAB}")
        vocabulary = _read_lines(root / VOCAB)
    else:
        # A letters speller (config "speller": translation.ml.letterspeller) spells letters
        # and needs no SentencePiece model; every other text model writes pieces.
        if task in TEXT_TASKS and "speller" not in config and not (root / SPM).is_file():
            raise BundleError(f"a {task} bundle needs {SPM}")
        if (root / GLOSSES).is_file():
            vocabulary = _read_lines(root / GLOSSES)
    card = (root / CARD).read_text() if (root / CARD).is_file() else ""
    return Bundle(
        path=root,
        task=task,
        language=str(manifest.get("language", "")),
        name=str(manifest.get("name", root.name)),
        config=config,
        metrics=_read_json(root / METRICS) if (root / METRICS).is_file() else {},
        vocabulary=vocabulary,
        card=card,
    )


def _read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


# Limits of an uploaded bundle .zip (a zip bomb is refused before it fills the disk). Bundles
# hold float weights, which barely compress: 100x is far beyond any real bundle's ratio.
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_UNPACKED_BYTES = 2 * 1024**3
ZIP_MAX_RATIO = 100
_COPY_CHUNK = 1024 * 1024


def unpack_bundle_zip(
    archive: str | Path | Any,
    dest: str | Path,
    *,
    max_unpacked: int = ZIP_MAX_UNPACKED_BYTES,
    max_ratio: float = ZIP_MAX_RATIO,
) -> Path:
    """Extract an uploaded .zip bundle safely and return its root.

    Refused with BundleError: absolute or '..' paths, links, too many members, and zip bombs:
    more than `max_unpacked` bytes in all, or a ratio of unpacked to packed size above
    `max_ratio`. The sizes the archive declares are checked first and the bytes actually
    written are counted too, so an archive that lies about its sizes stops at the same limits.
    """
    dest = Path(dest)
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        _check_zip_listing(members, max_unpacked, max_ratio)
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            budget = min(max_unpacked, int(max_ratio * _packed_size(members)))
            try:
                for member in members:
                    budget -= _extract_member(zf, member, Path(tmp), budget)
            except (RuntimeError, NotImplementedError, EOFError, zlib.error) as exc:
                raise BundleError(f"the archive cannot be unpacked: {exc}") from exc
            roots = [p for p in Path(tmp).rglob(MANIFEST)]
            if len(roots) != 1:
                raise BundleError(f"archive must contain exactly one {MANIFEST}")
            shutil.copytree(roots[0].parent, dest)
    return dest


def _packed_size(members: list[zipfile.ZipInfo]) -> int:
    return max(1, sum(m.compress_size for m in members))


def _check_zip_listing(members: list[zipfile.ZipInfo], max_unpacked: int, max_ratio: float) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise BundleError(f"the archive has {len(members)} files; a bundle has at most "
                          f"{ZIP_MAX_MEMBERS}")
    for member in members:
        name = member.filename.replace("\\", "/")
        if name.startswith("/") or ".." in Path(name).parts or ":" in name.split("/")[0]:
            raise BundleError(f"unsafe path in archive: {member.filename}")
        if (member.external_attr >> 16) & 0o170000 == 0o120000:
            raise BundleError(f"links are not allowed in a bundle archive: {member.filename}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        raise BundleError(f"the archive unpacks to {unpacked} bytes, above the limit of "
                          f"{max_unpacked} (zip bomb?)")
    if unpacked > max_ratio * _packed_size(members):
        raise BundleError(f"the archive unpacks to {unpacked / _packed_size(members):.0f} times "
                          f"its packed size, above the limit of {max_ratio:g} (zip bomb?)")


def _extract_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, root: Path, budget: int) -> int:
    """Write one member under root, never more than its declared size nor the budget left;
    return the bytes written."""
    target = root / member.filename
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(member) as source, open(target, "wb") as out:
        while chunk := source.read(_COPY_CHUNK):
            written += len(chunk)
            if written > member.file_size or written > budget:
                raise BundleError(f"{member.filename} unpacks to more than the archive declares "
                                  "or the size limit allows (zip bomb?)")
            out.write(chunk)
    return written
