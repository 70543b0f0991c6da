"""Noisy-channel reranking of PHOENIX dev with a reverse model's kept epoch weights (issue 13 item 6).

Which weights of a reverse training run rerank best: single epochs ("10") or their mean ("8-12"),
each on lambda 0.1-0.5, all dev and both halves. Reads the n-best cache that
bench_noisy_channel.py --cache writes (written here if missing; beam 8, the shipped forward
model's own weights, MAP = 25.22) and the run's checkpoint folder (epoch-NNN.pt kept by
--average-last, spm.model):

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_reverse_epochs.py CACHE.json REVERSE_BUNDLE CK_DIR 8 10 8-12
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, "bench")

import torch
from bench_noisy_channel import PHOENIX, choose, load_nbest, with_reverse
from translation.ml.config import ModelConfig
from translation.ml.evaluate import text_metrics
from translation.ml.infer import TranslationPredictor
from translation.ml.model import Translator
from translation.ml.tokenizer import GlossVocab, TextTokenizer
from translation.ml.train import average_weights
torch.set_num_threads(1)
cache, run, ck, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
fwd = TranslationPredictor.from_bundle("models/phoenix-gloss2text")
nb, refs, _, sources = load_nbest(fwd, PHOENIX + "dev.gloss", PHOENIX + "dev.de", 8, Path(cache))
cfg = ModelConfig.from_dict(json.load(open(f"{run}/config.json"))["model"])
vocab = GlossVocab(open(f"{run}/glosses.txt").read().split())
tok = TextTokenizer(f"{ck}/spm.model")
half = len(refs) // 2
def b(h, s=slice(None)): return text_metrics(h[s], refs[s])["bleu4"]
for spec in specs:
    a, _, z = spec.partition("-")
    eps = range(int(a), int(z or a) + 1)
    m = Translator(cfg)
    m.load_state_dict(average_weights([f"{ck}/epoch-{e:03d}.pt" for e in eps]))
    m.eval()
    cands = with_reverse(fwd, nb, sources, [(m, vocab, tok)])
    row = []
    for lam in (0.1, 0.2, 0.3, 0.5):
        h = choose(cands, {"reverse": lam})
        row.append(f"l{lam}: {b(h)} ({b(h, slice(0, half))}/{b(h, slice(half, None))})")
    print(ck, spec, " | ".join(row), flush=True)
