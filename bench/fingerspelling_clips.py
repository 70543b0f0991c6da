"""Real fingerspelled clips for bench_fingerspelling.py, from the SILFA frames in ../shared/data.

A word clip is the real video of the SILFA signer spelling its letters, letter clip after letter
clip, using only the frames whose landmarks the translator never trained on (the held-out block at
the end of each letter, see translation.ml.fingerspell.SILFA_HELDOUT_FRACTION). Frames are encoded
with tests/support/videos.py and read back with real MediaPipe Holistic (landmarks.extract);
extracted landmarks are cached (benchlib.extraction_cache: one folder per extractor settings) so
repeated experiments skip the extraction.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchlib import extraction_cache  # noqa: E402
from landmarks.formats.npz import load_npz, save_npz  # noqa: E402
from landmarks.layout import RIGHT_HAND  # noqa: E402
from landmarks.sequence import LandmarkSequence  # noqa: E402
from translation.ml.letterbank import (  # noqa: E402
    LETTERS,
    SILFA_HELDOUT_FRACTION,
    VIDEO_FPS,
    silfa_samples,
)

def extract_frames(paths: list[Path], fps: float = VIDEO_FPS, repeat: int = 1) -> LandmarkSequence:
    """Encode `paths` as an H.264 mp4 (each frame shown `repeat` times) and extract it with
    MediaPipe (cached by the frame list)."""
    from landmarks.extract import extract_landmarks
    from tests.support.videos import read_rgb, write_video

    tag = [str(p) for p in paths] + [fps] + ([repeat] if repeat != 1 else [])
    key = hashlib.sha256(json.dumps(tag).encode()).hexdigest()[:16]
    cache = extraction_cache("fingerspelling")
    cached = cache / f"{key}.npz"
    if cached.is_file():
        return load_npz(cached)
    video = write_video((read_rgb(p) for p in paths for _ in range(repeat)),
                        cache / f"{key}.mp4", fps=fps)
    seq = extract_landmarks(video)
    save_npz(seq, cached)
    return seq


def letter_frames(shared: Path, letter: str) -> list[Path]:
    root = shared / "video" / "silfa_frames" / letter
    return sorted(root.glob("frame_*.jpg"), key=lambda p: int(p.stem.split("_")[-1]))


def heldout_frames(shared: Path, letter: str) -> tuple[list[Path], float]:
    """The frames of `letter` whose landmarks are held out of training (a contiguous block at
    the end), and the share of them whose nearest SILFA sample is a held-out one.

    SILFA's samples (one per frame with a detected hand, in sequence-id order) follow the frame
    order: when a letter has one sample per frame the held-out block is the same ranks; else
    each frame is matched to its nearest sample by the right hand (our video-mode extraction
    differs a little from SILFA's), and the block starts after the last frame whose nearest
    sample is a training one. Letters SILFA has no samples of (J, Z): the last
    SILFA_HELDOUT_FRACTION of the frames (their first frames train through the letter videos,
    translation.ml.letterbank.add_video_letters).
    """
    frames = letter_frames(shared, letter)
    samples = [s for s in silfa_samples(str(shared / "isolated" / "silfa_fingerspelling"))
               .get(letter, []) if s.right is not None]
    if not samples:
        return frames[int(round(len(frames) * (1 - SILFA_HELDOUT_FRACTION))):], 1.0
    held = np.array([s.heldout for s in samples])
    cut = int(np.argmax(held)) if held.any() else len(samples)
    seq = extract_frames(frames)
    ref = np.stack([s.right for s in samples if s.right is not None]).reshape(len(samples), -1)
    nearest = np.full(len(frames), -1)
    for i, hand in enumerate(seq.points[:, RIGHT_HAND]):
        if not np.isnan(hand).any():
            nearest[i] = int(np.linalg.norm(ref - hand.reshape(1, -1), axis=1).argmin())
    if len(frames) == len(samples):
        start = cut
    else:
        train_like = np.flatnonzero((nearest >= 0) & (nearest < cut))
        start = int(train_like[-1]) + 1 if len(train_like) else 0
    block = list(range(start, len(frames)))
    seen = [i for i in block if nearest[i] >= 0]
    share = float(np.mean([nearest[i] >= cut for i in seen])) if seen else 1.0
    return [frames[i] for i in block], share


def word_clip_frames(shared: Path, words: list[str]) -> list[Path]:
    """The held-out frames of each letter of each word, in order (words back to back)."""
    return [p for word in words for letter in word.upper() for p in heldout_frames(shared, letter)[0]]


def write_letters(shared: Path, out: Path) -> None:
    """Each letter's whole video as MediaPipe reads it and where its held-out block starts, for
    training (translation.ml.letterbank.add_video_letters reads this npz)."""
    from landmarks.hands import enabled

    # Read with the hands Holistic lost recovered (SLRWEB_HAND_RECOVERY=1)? A model trained on
    # these letters says so in its config (translation.ml.fingerspell).
    arrays: dict[str, np.ndarray] = {"hand_recovery": np.array(enabled())}
    for letter in LETTERS:
        frames = letter_frames(shared, letter)
        arrays[letter] = extract_frames(frames).points.astype(np.float32)
        arrays[f"{letter}_heldout"] = np.array(len(frames) - len(heldout_frames(shared, letter)[0]))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)


def main() -> None:
    """Extract (and cache) every letter's frames: `python bench/fingerspelling_clips.py`
    (`--write-letters FILE`: also the npz training reads with --letter-video)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--write-letters", type=Path)
    args = parser.parse_args()
    shared = ROOT.parent / "shared" / "data"
    for letter in LETTERS:
        frames, share = heldout_frames(shared, letter)
        print(letter, len(letter_frames(shared, letter)), "held-out frames", len(frames),
              "matched", round(share, 2), flush=True)
    if args.write_letters:
        write_letters(shared, args.write_letters)


if __name__ == "__main__":
    main()
