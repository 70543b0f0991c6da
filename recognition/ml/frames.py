"""Image-sequence data: <root>/<LABEL>/<name>_<k>.jpg|png, one recording of each label.

The frames of a folder are consecutive video frames (sorted by the number in their names); they
are run through MediaPipe Holistic in video (tracking) mode, exactly as `slrweb recognize` runs a
video, so a model trained on them sees the landmarks it will see at inference, including the
frames where the hand is still moving into the handshape. Extraction is cached under
var/cache/frames (keyed by the files' content and the extractor settings).

`recoded` presets (landmarks.recode) add a copy of each recording as a lossy codec delivers it
(Run.augmented: trained where its original trains, never scored): MediaPipe finds other hand
shapes in compressed pixels, and uploads are compressed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from recognition.ml.data import Run

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / "var" / "cache" / "frames"
SUFFIXES = (".jpg", ".jpeg", ".png")
FPS = 30.0  # SILFA's frames are 30 fps video frames


def frame_files(folder: Path) -> list[Path]:
    """Image files of one recording in frame order (the last number in the name)."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES]
    return sorted(files, key=lambda p: (int((re.findall(r"\d+", p.stem) or ["-1"])[-1]), p.name))


def extract_frames(files: list[Path], cache_dir: Path | None = CACHE,
                   hand_recovery: bool | None = None, recode: str = "") -> np.ndarray:
    """(T, 543, 3) Holistic landmarks of consecutive frames (video mode), cached by content;
    hand_recovery as landmarks.hands.resolve; recode: the frames through that
    landmarks.recode preset first."""
    from landmarks.extract import extractor_settings

    settings = extractor_settings(hand_recovery=hand_recovery)
    if recode:  # absent otherwise, so that earlier cache entries stay valid
        settings["recode"] = recode
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for path in files:
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    cached = cache_dir / f"{digest.hexdigest()}.npy" if cache_dir else None
    if cached is not None and cached.is_file():
        return np.load(cached)
    points = _holistic(files, bool(settings.get("hand_recovery")), recode)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + f".{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            np.save(handle, points)
        os.replace(tmp, cached)
    return points


def _holistic(files: list[Path], hand_recovery: bool, recode: str = "") -> np.ndarray:
    import cv2

    from landmarks.extract import holistic_points, new_holistic
    from landmarks.recode import recode as through_codec

    images = []
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"cannot read image {path}")
        images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if recode:
        images = through_codec(images, recode, FPS)
    with new_holistic() as holistic:
        out = [holistic_points(holistic, image, hand_recovery) for image in images]
    return np.stack(out).astype(np.float32)


def load_frame_folders(root: str | Path, merge_frames: bool = True,
                       cache_dir: Path | None = CACHE,
                       hand_recovery: bool | None = None,
                       recoded: tuple[str, ...] = ()) -> list[Run]:
    """One run per label folder; ids are '<LABEL>/<file stem>' (traceable to the image). Then,
    for each `recoded` preset, every folder again through that codec (Run.augmented)."""
    folders = [(p, frame_files(p)) for p in sorted(Path(root).iterdir()) if p.is_dir()]
    runs = []
    for recode in ("", *recoded):
        for folder, files in folders:
            if files:
                points = extract_frames(files, cache_dir, hand_recovery, recode)
                ids = tuple(f"{folder.name}/{p.stem}" for p in files)
                runs.append(Run(points, folder.name, ids, FPS, augmented=bool(recode)))
    return runs
