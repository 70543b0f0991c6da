"""Build real test videos from the real frames in ../shared/data (never committed to the repo).

- `make_silfa_video`: an H.264 mp4 of a real person fingerspelling `letters`, frame by frame from
  ../shared/data/video/silfa_frames/<LETTER>/frame_NNNN.jpg.
- `make_y4m`: the same frames as a .y4m file (C420), the input of Chromium's fake camera
  (--use-file-for-fake-video-capture).
- `write_video`: frames -> any codec/container PyAV writes, with optional real (variable) timestamps
  and container options, e.g. {"live": "1"} for a MediaRecorder-like webm without duration. The
  same frames give the same pixels every time (landmarks.recode.REPEATABLE_OPTIONS), so
  real-MediaPipe tests on built clips see the same landmarks in every run.
- `set_mp4_rotation`: patch an mp4's track matrix as a phone recording in portrait does.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from landmarks.recode import codec_options


def silfa_frame_paths(
    shared_data: Path, letters: str, frames_per_letter: int | None = None
) -> list[Path]:
    """The frame files spelling `letters`, in order (first `frames_per_letter` of each letter)."""
    root = Path(shared_data) / "video" / "silfa_frames"
    paths: list[Path] = []
    for letter in letters.upper():
        letter_frames = sorted(
            (root / letter).glob("frame_*.jpg"), key=lambda p: int(p.stem.split("_")[-1])
        )
        if not letter_frames:
            raise FileNotFoundError(f"no SILFA frames for letter {letter!r} under {root}")
        paths.extend(letter_frames[:frames_per_letter] if frames_per_letter else letter_frames)
    return paths


def read_rgb(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB, optionally resized to size=(width, height)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    if size is not None and (image.shape[1], image.shape[0]) != size:
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def write_video(
    frames: Iterable[np.ndarray],
    out_path: Path,
    *,
    fps: float = 30,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    timestamps: Sequence[float] | None = None,
    container_options: dict[str, str] | None = None,
    extra_options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames; `timestamps` (seconds) gives each frame its real pts (VFR).
    extra_options are added to (and override) what the codec needs to be repeatable
    (landmarks.recode.codec_options)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    time_base = Fraction(1, 1000) if timestamps is not None else Fraction(1, int(round(fps)))
    with av.open(str(out_path), "w", options=container_options or {}) as container:
        stream = None
        for index, image in enumerate(frames):
            if stream is None:
                stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001),
                                              options=codec_options(codec, extra_options))
                stream.width, stream.height = image.shape[1], image.shape[0]
                stream.pix_fmt = pix_fmt
                stream.codec_context.time_base = time_base
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = int(round(timestamps[index] * 1000)) if timestamps is not None else index
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        if stream is None:
            raise ValueError("no frames to write")
        container.mux(stream.encode(None))
    return out_path


def make_silfa_video(
    shared_data: Path,
    letters: str,
    out_path: Path,
    fps: float = 30,
    frames_per_letter: int | None = None,
    size: tuple[int, int] | None = None,
) -> Path:
    """A real H.264/yuv420p mp4 of the SILFA signer spelling `letters` (852x480 unless `size`)."""
    paths = silfa_frame_paths(shared_data, letters, frames_per_letter)
    return write_video((read_rgb(p, size) for p in paths), out_path, fps=fps)


def make_y4m(
    shared_data: Path,
    letters: str,
    out_path: Path,
    fps: int = 30,
    frames_per_letter: int | None = None,
    size: tuple[int, int] = (640, 360),
) -> Path:
    """The same real frames as an uncompressed YUV4MPEG2 file, 4:2:0 ("C420"), even size."""
    width, height = size
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs an even width and height")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for path in silfa_frame_paths(shared_data, letters, frames_per_letter):
            planes = cv2.cvtColor(read_rgb(path, size), cv2.COLOR_RGB2YUV_I420)  # Y, U, V planar
            handle.write(b"FRAME\n")
            handle.write(planes.tobytes())
    return out_path


def iter_video_frames(path: Path, limit: int | None = None) -> Iterator[np.ndarray]:
    """Decode a video's frames as RGB (used to re-encode real clips in other forms)."""
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if limit is not None and index >= limit:
                return
            yield frame.to_ndarray(format="rgb24")


def set_mp4_rotation(path: Path, clockwise_degrees: int) -> Path:
    """Rewrite the first track's tkhd matrix so players rotate it clockwise by 90/180/270 degrees.

    This is the matrix a phone writes when recording in portrait; the pixels stay as encoded.
    """
    data = bytearray(Path(path).read_bytes())
    at = data.find(b"tkhd")
    if at < 0:
        raise ValueError(f"{path} has no tkhd box")
    version = data[at + 4]
    width, height = struct.unpack(">II", data[at + 4 + 4 + (32 if version == 1 else 20) + 52 :][:8])
    one, w, h = 1 << 16, width, height  # width/height are 16.16 fixed point already
    matrices = {
        0: (one, 0, 0, 0, one, 0, 0, 0),
        90: (0, one, 0, -one, 0, 0, h, 0),
        180: (-one, 0, 0, 0, -one, 0, w, h),
        270: (0, -one, 0, one, 0, 0, 0, w),
    }
    a, b, u, c, d, v, x, y = matrices[clockwise_degrees % 360]
    offset = at + 4 + 4 + (32 if version == 1 else 20) + 16
    data[offset : offset + 36] = struct.pack(">9i", a, b, u, c, d, v, x, y, 1 << 30)
    Path(path).write_bytes(bytes(data))
    return Path(path)
