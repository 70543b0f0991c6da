"""Translator speed: cached vs uncached greedy decoding, beam 4 vs greedy, training steps/s.

    .venv/bin/python bench/bench_translation.py --model models/phoenix-gloss2text \\
        --data ../shared/data/translation/phoenix2014T_text --threads 1

Prints a JSON record (machine, load average, timings); bench/RESULTS.md quotes it. Each timing
is the fastest of --repeats runs in one process (the machine is shared: slower runs measure the
other jobs), so the ratios compare like with like.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from translation.ml.config import ModelConfig  # noqa: E402
from translation.ml.data import collate, encode_gloss_pairs, load_parallel  # noqa: E402
from translation.ml.decode import beam_search, greedy_decode  # noqa: E402
from translation.ml.infer import TranslationPredictor  # noqa: E402
from translation.ml.model import Translator  # noqa: E402


def best_seconds(fn: Callable[[], Any], repeats: int, clock: Callable[[], float] = time.perf_counter
                 ) -> float:
    fn()  # warm-up (allocations, kernels, the decoder's transposed step weights)
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def bench_cache(model: Translator, src: torch.Tensor, mask: torch.Tensor, tokens: int,
                repeats: int) -> dict[str, float]:
    """Exactly `tokens` greedy steps (eos masked) with and without the key/value cache.

    Wall time and this process's CPU time (time.process_time: with one thread, the time the
    process actually ran; the time other jobs on the shared cores held the CPU is left out).
    Cached and uncached runs alternate, so both see the same load."""
    def run(use_cache: bool) -> Callable[[], Any]:
        return lambda: greedy_decode(model, src, mask, max_len=tokens, min_len=tokens,
                                     use_cache=use_cache)
    wall = {True: float("inf"), False: float("inf")}
    cpu = dict(wall)
    for _ in range(3):  # rounds of alternation
        for use_cache in (True, False):
            wall[use_cache] = min(wall[use_cache], best_seconds(run(use_cache), repeats))
            cpu[use_cache] = min(cpu[use_cache],
                                 best_seconds(run(use_cache), repeats, time.process_time))
    return {"batch": int(src.shape[0]), "tokens": tokens, "cached_s": round(wall[True], 4),
            "uncached_s": round(wall[False], 4), "speedup": round(wall[False] / wall[True], 2),
            "cached_cpu_s": round(cpu[True], 4), "uncached_cpu_s": round(cpu[False], 4),
            "speedup_cpu": round(cpu[False] / cpu[True], 2),
            "cached_tokens_per_s": round(tokens * src.shape[0] / wall[True], 1)}


def bench_beam(model: Translator, src: torch.Tensor, mask: torch.Tensor, tokens: int,
               repeats: int, caps: dict[str, Any]) -> dict[str, float]:
    """Beam 4 vs greedy: per step (both forced to `tokens` steps) and as used (stop at eos).

    A batch decodes until its slowest row is done: greedy waits for the longest output (up to
    max_tgt_len when a row never emits eos), beam search for every row's 4th finished beam.
    `caps` is the bundle's per-row output cap, used for the decoding-as-used timings.
    """
    fixed: dict[str, Any] = {"max_len": tokens, "min_len": tokens}
    greedy_fixed = best_seconds(lambda: greedy_decode(model, src, mask, **fixed), repeats)
    beam_fixed = best_seconds(lambda: beam_search(model, src, mask, beam_size=4, **fixed),
                              repeats)
    greedy = best_seconds(lambda: greedy_decode(model, src, mask, **caps), repeats)
    beam = best_seconds(lambda: beam_search(model, src, mask, beam_size=4, **caps), repeats)
    longest = max(len(h.tokens) for h in greedy_decode(model, src, mask, **caps))
    return {"sentences": int(src.shape[0]), "fixed_steps": tokens,
            "greedy_fixed_s": round(greedy_fixed, 3), "beam4_fixed_s": round(beam_fixed, 3),
            "beam4_over_greedy_per_step": round(beam_fixed / greedy_fixed, 2),
            "greedy_to_eos_s": round(greedy, 3), "greedy_longest_output": longest,
            "beam4_to_eos_s": round(beam, 3), "beam4_over_greedy_to_eos": round(beam / greedy, 2)}


def bench_training(model: Translator, batch: Any, steps: int) -> dict[str, float]:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()

    def step() -> None:
        _, loss = model(batch.src, batch.src_mask, batch.tgt_in, batch.targets,
                        batch.ctc_targets)
        assert loss is not None
        opt.zero_grad()
        loss.backward()
        opt.step()

    seconds = best_seconds(step, steps)
    return {"batch": int(batch.src.shape[0]), "src_len": int(batch.src.shape[1]),
            "tgt_len": int(batch.tgt_in.shape[1]), "steps_per_s": round(1 / seconds, 2)}


def landmark_batch(cfg: ModelConfig, batch: int, frames: int, tgt_len: int) -> Any:
    from translation.ml.data import Example

    gen = torch.Generator().manual_seed(0)
    examples = [Example(src=torch.randn(frames, cfg.input_dim, generator=gen).numpy(),
                        tgt=[4 + i % 20 for i in range(tgt_len)], ctc=[2, 3, 4, 5])
                for _ in range(batch)]
    return collate(examples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="gloss->text bundle")
    parser.add_argument("--data", required=True, help="folder with phoenix2014T.dev.{gloss,de}")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=30)
    parser.add_argument("--cache-only", action="store_true",
                        help="only the batch-1 key/value cache timings (bundle and reference size)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    predictor = TranslationPredictor.from_bundle(args.model)
    model = predictor.model
    data = Path(args.data)
    pairs = load_parallel(data / "phoenix2014T.dev.gloss", data / "phoenix2014T.dev.de")
    dev = encode_gloss_pairs(pairs, predictor.vocab, predictor.tokenizer, 10_000)
    one = collate(dev[:1])
    many = collate(dev[:32])
    record: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, torch {torch.__version__}, "
                   f"{args.threads} thread(s), no GPU" if not torch.cuda.is_available()
                   else torch.cuda.get_device_name(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "model": predictor.name,
        "cache_batch1": bench_cache(model, one.src, one.src_mask, args.tokens, args.repeats),
    }
    if args.cache_only:
        record["cache_batch1_reference_6x6_d512"] = bench_cache(
            reference_model(predictor), one.src, one.src_mask, args.tokens, args.repeats)
        record["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(record, indent=2))
        return 0
    record |= {
        "cache_batch32": bench_cache(model, many.src, many.src_mask, args.tokens, 2),
        "beam_vs_greedy": bench_beam(model, many.src, many.src_mask, args.tokens, args.repeats,
                                     {"max_len_a": predictor.decode.max_len_a,
                                      "max_len_b": predictor.decode.max_len_b}),
    }
    record.update(bench_other_models(predictor, one, dev, args))
    record["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(record, indent=2))
    return 0


def reference_model(predictor: TranslationPredictor) -> Translator:
    """Seed 004's size (d 512, 6+6 layers) with the bundle's vocabularies, random weights."""
    torch.manual_seed(0)
    return Translator(ModelConfig(src_vocab_size=len(predictor.vocab),
                                  tgt_vocab_size=len(predictor.tokenizer), d_model=512, n_heads=8,
                                  n_enc_layers=6, n_dec_layers=6, d_ff=2048)).eval()


def bench_other_models(predictor: TranslationPredictor, one: Any, dev: list[Any],
                       args: argparse.Namespace) -> dict[str, Any]:
    """Cache speed-up of the reference size, training steps/s of both bundle configs."""
    record: dict[str, Any] = {}
    record["cache_batch1_reference_6x6_d512"] = bench_cache(reference_model(predictor), one.src,
                                                            one.src_mask, args.tokens,
                                                            args.repeats)
    train_batch = collate(sorted(dev, key=lambda e: len(e.tgt))[200:232])
    record["train_gloss_bundle_config"] = bench_training(predictor.model, train_batch,
                                                         args.repeats)
    lm_cfg = ModelConfig(input_kind="landmarks", input_dim=128, velocity=True,
                         tgt_vocab_size=40, d_model=128, n_heads=4, n_enc_layers=3,
                         n_dec_layers=2, d_ff=256, ctc_vocab_size=28, ctc_weight=0.5)
    record["train_landmarks_d128"] = bench_training(Translator(lm_cfg),
                                                    landmark_batch(lm_cfg, 32, 60, 7),
                                                    args.repeats)
    return record


if __name__ == "__main__":
    sys.exit(main())
