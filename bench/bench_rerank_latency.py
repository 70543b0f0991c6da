"""Per-sentence latency (batch 1, beam 8, 1 thread) of phoenix-gloss2text with and without its reranker.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_rerank_latency.py
"""
import time
import torch
from translation.ml.infer import TranslationPredictor
torch.set_num_threads(1)
p = TranslationPredictor.from_bundle("models/phoenix-gloss2text")
lines = open("../shared/data/translation/phoenix2014T_text/phoenix2014T.dev.gloss").read().splitlines()[:40]
for rep in range(2):
    for name in ("with reranker", "without (weight 0)"):
        p.decode = p.decode_settings(rerank_weight=0.0 if name.startswith("without") else 0.1)
        t = time.perf_counter()
        for line in lines:
            p.translate_glosses(line.split())
        print(rep, name, round((time.perf_counter() - t) / len(lines) * 1000, 1), "ms/sentence", flush=True)
