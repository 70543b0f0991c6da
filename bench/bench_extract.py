"""Benchmark of landmark extraction (issue 4, item 8). Not a test: prints JSON lines.

Sections (all on real SILFA frames assembled into H.264 clips, see tests/support/videos.py):
  overhead  frames/s of landmarks.extract.extract_landmarks vs a bare PyAV + Holistic loop on the
            same clip, alternated `--repeats` times in this run; also the real-time factor
            (extraction seconds per clip second) of the 30 fps clip.
  workers   `--workers 2` (landmarks.parallel) on a 60 s clip vs the machine's ceiling measured in
            the same run: two bare loops on the two halves at once, in spawned processes, timed
            the same way (process start and model load included in both).
  memory    peak RSS (fresh process each) of streaming decode over a 10-minute 30 fps clip, and
            of extraction over a 10-minute clip at `--memory-fps` (fewer frames, same duration,
            to keep the run modest), plus the same extraction over a 1-minute clip to show the
            growth is only the output array (6.5 kB per frame).

Usage: .venv/bin/python bench/bench_extract.py [--sections overhead,workers,memory]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchlib import bare_ceiling, bare_loop  # noqa: E402
from tests.support.videos import read_rgb, silfa_frame_paths, write_video  # noqa: E402

LETTERS = "ABCDEFGHIKLMNOPQRSTUVWXY"


def looped_clip(shared: Path, out: Path, seconds: float, fps: int, size: tuple[int, int]) -> Path:
    """A clip of `seconds` made by looping the real SILFA frames in letter order."""
    if out.exists():
        return out
    paths = silfa_frame_paths(shared, LETTERS)
    count = int(round(seconds * fps))
    frames = (read_rgb(p, size) for p in itertools.islice(itertools.cycle(paths), count))
    return write_video(frames, out, fps=fps)


def _cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads): robust to neighbours' load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_overhead(shared: Path, work: Path, seconds: float, repeats: int) -> dict:
    from landmarks.extract import extract_landmarks

    clip = looped_clip(shared, work / f"silfa_{seconds:g}s.mp4", seconds, 30, (852, 480))
    ours, bare, ours_cpu, bare_cpu = [], [], [], []
    for _ in range(repeats):  # alternate so both see the same neighbours' load
        t, c = time.perf_counter(), _cpu_seconds()
        frames = len(extract_landmarks(clip))
        ours.append(frames / (time.perf_counter() - t))
        ours_cpu.append(1000 * (_cpu_seconds() - c) / frames)
        t, c = time.perf_counter(), _cpu_seconds()
        bare_frames = bare_loop(str(clip))
        bare.append(bare_frames / (time.perf_counter() - t))
        bare_cpu.append(1000 * (_cpu_seconds() - c) / bare_frames)
    best_ours, best_bare = max(ours), max(bare)
    return {
        "section": "overhead",
        "clip": f"{seconds:g} s, 30 fps, 852x480, {frames} frames",
        "ours_fps": [round(v, 2) for v in ours],
        "bare_fps": [round(v, 2) for v in bare],
        "overhead_pct_best_vs_best": round(100 * (best_bare / best_ours - 1), 1),
        "ours_cpu_ms_per_frame": [round(v, 1) for v in ours_cpu],
        "bare_cpu_ms_per_frame": [round(v, 1) for v in bare_cpu],
        "cpu_overhead_pct_median": round(
            100 * (sorted(ours_cpu)[len(ours_cpu) // 2] / sorted(bare_cpu)[len(bare_cpu) // 2] - 1),
            1,
        ),
        "realtime_factor_best": round(30 / best_ours, 3),
    }


def run_workers(shared: Path, work: Path, seconds: float) -> dict:
    from landmarks.parallel import extract_landmarks_parallel

    clip = looped_clip(shared, work / f"silfa_{seconds:g}s.mp4", seconds, 30, (852, 480))
    t = time.perf_counter()
    seq = extract_landmarks_parallel(clip, workers=2)
    ours = time.perf_counter() - t
    ceiling, counts = bare_ceiling(clip, seconds, 2)
    t = time.perf_counter()
    single = bare_loop(str(clip))
    single_s = time.perf_counter() - t
    return {
        "section": "workers",
        "clip": f"{seconds:g} s, 30 fps, 852x480, {len(seq)} frames",
        "ours_workers2_s": round(ours, 1),
        "ceiling_two_bare_loops_s": round(ceiling, 1),
        "single_bare_loop_s": round(single_s, 1),
        "ours_vs_ceiling_pct": round(100 * (ours / ceiling - 1), 1),
        "ceiling_speedup_vs_single": round(single_s / ceiling, 2),
        "ours_speedup_vs_single": round(single_s / ours, 2),
        "frames": [len(seq), sum(counts), single],
        "ours_realtime_factor": round(ours / seconds, 3),
    }


def child_peak_rss(mode: str, clip: Path) -> int:
    """Peak RSS (kB) of a fresh interpreter that decodes or extracts `clip`.

    Read from /proc/self/status VmHWM: ru_maxrss would report the forking parent's peak, which
    Linux carries across exec.
    """
    code = (
        "import re,sys; sys.path.insert(0, sys.argv[3]);"
        "from landmarks.decode import iter_frames; from landmarks.extract import extract_landmarks;"
        "n = sum(1 for _ in iter_frames(sys.argv[2])) if sys.argv[1] == 'decode' "
        "else len(extract_landmarks(sys.argv[2]));"
        "print(n, re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, mode, str(clip), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[-1])


def run_memory(shared: Path, work: Path, minutes: float, fps: int) -> dict:
    size = (640, 360)
    long30 = looped_clip(shared, work / f"long_{minutes:g}min_30fps.mp4", minutes * 60, 30, size)
    long_low = looped_clip(
        shared, work / f"long_{minutes:g}min_{fps}fps.mp4", minutes * 60, fps, size
    )
    short_low = looped_clip(shared, work / f"short_1min_{fps}fps.mp4", 60, fps, size)
    t = time.perf_counter()
    result = {
        "section": "memory",
        "decode_10min_30fps_peak_mb": round(child_peak_rss("decode", long30) / 1024, 1),
        "extract_1min_peak_mb": round(child_peak_rss("extract", short_low) / 1024, 1),
        "extract_10min_peak_mb": round(child_peak_rss("extract", long_low) / 1024, 1),
        "clips": f"640x360; decode at 30 fps; extraction at {fps} fps ({int(minutes * 60 * fps)} "
        f"frames for {minutes:g} min, {60 * fps} for 1 min)",
        "output_mb_per_10min_at_30fps": round(18000 * 543 * 3 * 4 / 2**20, 1),
    }
    result["seconds"] = round(time.perf_counter() - t, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--sections", default="overhead,workers,memory")
    parser.add_argument("--overhead-seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers-seconds", type=float, default=60.0)
    parser.add_argument("--memory-minutes", type=float, default=10.0)
    parser.add_argument("--memory-fps", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench_extract")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}), flush=True)
    for section in args.sections.split(","):
        if section == "overhead":
            row = run_overhead(args.shared_data, args.work, args.overhead_seconds, args.repeats)
        elif section == "workers":
            row = run_workers(args.shared_data, args.work, args.workers_seconds)
        elif section == "memory":
            row = run_memory(args.shared_data, args.work, args.memory_minutes, args.memory_fps)
        else:
            raise SystemExit(f"unknown section {section}")
        row["load_avg_after"] = [round(v, 2) for v in os.getloadavg()]
        row["self_max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
