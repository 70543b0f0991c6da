"""Video probing and streaming decode with PyAV.

`probe_video` is the upload validator: it opens the container, really decodes the first frame,
and scans every video packet (demuxing only, no decoding: cheap) so that duration and frame count
are known even when the header lacks them (MediaRecorder webm has no duration) and a file cut
short is caught (an mp4 whose sample table announces more frames than its data holds).

`probe_upload` is the stricter check for files from the internet: on top of `probe_video` it
wants a container on the whitelist below (which also gives the content type the file is served
with: never the one the client claimed), at least two frames and a duration. A still image, a
JPEG with a ZIP appended and named .mp4, or a sound file are refused with a reason.

`iter_frames` streams upright RGB frames one at a time with their real timestamps, so memory stays
flat on long clips and variable-frame-rate recordings keep their timing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Every error PyAV raises for unreadable input derives from this.
_AV_ERRORS: tuple[type[BaseException], ...] = (av.error.FFmpegError, UnicodeDecodeError)


class InvalidVideoError(ValueError):
    """The file cannot be used as a video; `str(error)` is a message fit to show the uploader."""


@dataclass(frozen=True)
class VideoInfo:
    """What `probe_video` learned about a clip.

    duration:    seconds (from packet timestamps; falls back to the header)
    fps:         frames per second measured as frame_count / duration (header rate if unknown)
    frame_count: number of video packets found, None if it could not be counted
    width, height: size of the frames as `iter_frames` yields them, i.e. after rotation
    rotation:    degrees clockwise (0, 90, 180, 270) applied to decoded frames to show them
                 upright, from the container's display matrix (phones record portrait this way)
    codec:       decoder name, e.g. "h264", "vp8"
    container:   FFmpeg's demuxer name as probed from the bytes, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    """

    duration: float
    fps: float
    frame_count: int | None
    width: int
    height: int
    rotation: int = 0
    codec: str = ""
    container: str = ""


@dataclass(frozen=True)
class Frame:
    """One decoded frame: image (H, W, 3) uint8 RGB, upright; timestamp in seconds since the
    stream's start (pts * time_base); index counts the frames this iterator yielded."""

    image: np.ndarray
    timestamp: float
    index: int


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Validate a video file and describe it; raise InvalidVideoError with a user-facing reason."""
    path = Path(path)
    if not path.is_file():
        raise InvalidVideoError("The video file does not exist.")
    if path.stat().st_size == 0:
        raise InvalidVideoError("The file is empty.")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InvalidVideoError("The file contains no video stream.")
            stream = container.streams.video[0]
            first = _decode_first_frame(container, stream)
            header_frames = int(stream.frames or 0)
            header_duration = _header_duration(container, stream)
            average_rate = stream.average_rate or stream.guessed_rate
            codec = stream.codec_context.name
            container_name = container.format.name
    except InvalidVideoError:
        raise
    except _AV_ERRORS as error:
        raise InvalidVideoError(
            "The file is not a video we can read (unknown or damaged format)."
        ) from error
    packets, scanned_duration = _scan_packets(path)
    if header_frames and packets < header_frames:
        raise InvalidVideoError(
            f"The video file is truncated: its header announces {header_frames} frames "
            f"but only {packets} are present."
        )
    duration = scanned_duration if scanned_duration > 0 else header_duration
    fps = _frame_rate(average_rate, packets, duration)
    rotation = _clockwise_rotation(first)
    width, height = first.width, first.height
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        duration=duration,
        fps=fps,
        frame_count=packets or None,
        width=width,
        height=height,
        rotation=rotation,
        codec=codec,
        container=container_name,
    )


# The containers an upload may be in, with the content type it is served as. FFmpeg names the
# demuxer from the bytes (its probe), so a file's name or the client's Content-Type cannot pick it.
VIDEO_CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": "video/mp4",
    "matroska,webm": "video/x-matroska",  # video/webm when the codecs are WebM's (below)
    "avi": "video/x-msvideo",
    "mpeg": "video/mpeg",
}
WEBM_CODECS = frozenset({"vp8", "vp9", "av1"})
MIN_FRAMES = 2


def served_content_type(info: VideoInfo) -> str | None:
    """The whitelisted content type of a probed clip, None when its container is not allowed."""
    content_type = VIDEO_CONTAINERS.get(info.container)
    if content_type == "video/x-matroska" and info.codec in WEBM_CODECS:
        return "video/webm"
    return content_type


def probe_upload(path: str | os.PathLike[str]) -> tuple[VideoInfo, str]:
    """`probe_video` for untrusted uploads: (info, content type to serve it with).

    Raises InvalidVideoError unless the file is a whitelisted video container holding a real
    video stream of at least two frames with a duration.
    """
    info = probe_video(path)
    if info.container.endswith("_pipe") or info.container in {"image2", "gif"}:
        raise InvalidVideoError(
            "The file is a still image, not a video. Upload a video clip (mp4, webm, mov).")
    content_type = served_content_type(info)
    if content_type is None:
        raise InvalidVideoError(
            f"Videos in the {info.container.split(',')[0]} format are not accepted; "
            "upload an mp4, webm, mov, mkv or avi file.")
    if (info.frame_count or 0) < MIN_FRAMES:
        raise InvalidVideoError(
            "The file holds a single picture, not a video (fewer than 2 frames).")
    if not info.duration or info.duration <= 0:
        raise InvalidVideoError("The video has no duration (its frames carry no timing).")
    return info, content_type


def _frame_rate(average_rate: Fraction | None, packets: int, duration: float) -> float:
    """Frames per second as measured (frames / seconds) whenever the file can be scanned.

    The header's rate is not trusted: MediaRecorder webm declares its 1/1000 time base (1000 fps).
    """
    if packets and duration > 0:
        return packets / duration
    return float(average_rate) if average_rate else 0.0


def iter_frames(
    path: str | os.PathLike[str], *, start: float = 0.0, end: float | None = None
) -> Iterator[Frame]:
    """Yield upright RGB frames with timestamps in [start, end) seconds, one at a time.

    A corrupt packet is skipped rather than ending the clip, so a truncated file yields the
    frames it still holds. Seeking to `start` lands on the keyframe before it; earlier frames are
    decoded and dropped so chunk borders are exact.
    """
    for index, (timestamp, frame) in enumerate(iter_decoded(path, start=start, end=end)):
        yield Frame(image=upright_rgb(frame), timestamp=timestamp, index=index)


def iter_decoded(
    path: str | os.PathLike[str], *, start: float = 0.0, end: float | None = None
) -> Iterator[tuple[float, av.VideoFrame]]:
    """(timestamp, decoded frame) in [start, end), not yet converted (`upright_rgb` does it), so
    that a reader skipping frames pays only for decoding them. Same rules as `iter_frames`."""
    try:
        container = av.open(str(path))
    except _AV_ERRORS as error:
        raise InvalidVideoError("The file is not a video we can read.") from error
    with container:
        if not container.streams.video:
            raise InvalidVideoError("The file contains no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame threading in FFmpeg: decode overlaps MediaPipe
        origin = stream.start_time or 0
        time_base = stream.time_base or Fraction(1, 90000)
        if start > 0:
            container.seek(int(start / time_base) + origin, stream=stream, backward=True)
        previous = None
        step = 1.0 / float(stream.average_rate or stream.guessed_rate or 30)
        for frame in _decode_tolerant(container, stream):
            timestamp = _frame_seconds(frame, origin, time_base)
            if timestamp is None:  # no pts at all: continue the nominal rate
                timestamp = start if previous is None else previous + step
            previous = timestamp
            if timestamp < start - 1e-6:
                continue
            if end is not None and timestamp >= end - 1e-6:
                break
            yield timestamp, frame


def _decode_first_frame(container: av.container.InputContainer, stream: av.VideoStream):
    for frame in _decode_tolerant(container, stream):
        return frame
    raise InvalidVideoError("No frame of the video could be decoded (the file is damaged).")


def _decode_tolerant(container: av.container.InputContainer, stream: av.VideoStream):
    """Decode packet by packet, skipping packets FFmpeg rejects as corrupt."""
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            continue


def _scan_packets(path: Path) -> tuple[int, float]:
    """Count video packets and measure their time span by demuxing alone."""
    count, first_pts, last_end = 0, None, None
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base or Fraction(1, 90000)
            for packet in container.demux(stream):
                if packet.size == 0:  # the flush packet demux() yields at the end
                    continue
                count += 1
                if packet.pts is None:
                    continue
                end = packet.pts + (packet.duration or 0)
                first_pts = packet.pts if first_pts is None else min(first_pts, packet.pts)
                last_end = end if last_end is None else max(last_end, end)
    except _AV_ERRORS:
        pass  # a damaged tail: what was counted so far is what the file holds
    if first_pts is None or last_end is None:
        return count, 0.0
    return count, float((last_end - first_pts) * time_base)


def _header_duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _frame_seconds(frame: av.VideoFrame, origin: int, time_base: Fraction) -> float | None:
    pts = frame.pts if frame.pts is not None else frame.dts
    if pts is None:
        return None
    return float((pts - origin) * time_base)


def _clockwise_rotation(frame: av.VideoFrame) -> int:
    # FFmpeg reports the display matrix angle counter-clockwise (-90 = show rotated clockwise).
    return int(round(-(frame.rotation or 0) / 90.0)) % 4 * 90


def upright_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame as (H, W, 3) uint8 RGB, turned upright by its display matrix."""
    image: np.ndarray = frame.to_ndarray(format="rgb24")
    quarter_turns = _clockwise_rotation(frame) // 90
    if quarter_turns:
        return np.ascontiguousarray(np.rot90(image, k=-quarter_turns))
    return image
