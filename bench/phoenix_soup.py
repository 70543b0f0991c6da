"""A uniform weight soup of translation runs that all started from models/phoenix-gloss2text
(issue 13 item 6; the continuation runs of bench/RESULTS.md "back-translated gloss lines").

Each run's gloss rows are put back in the shipped vocabulary's order (runs on other training
lines rebuild it in another order), the weights averaged, and the soup written as a plain
bundle with the shipped decoding and no reranker (score it with `slrweb rerank-translation
--reverse-of models/phoenix-gloss2text`, which reports both):

    OMP_NUM_THREADS=2 .venv/bin/python bench/phoenix_soup.py OUT RUN_BUNDLE [RUN_BUNDLE ...]
"""
import sys
from dataclasses import replace
from translation.ml.infer import TranslationPredictor
from translation.ml.model import Translator
from translation.ml.pipeline import warm_start, write_translation_bundle
out, runs = sys.argv[1], sys.argv[2:]
ship = TranslationPredictor.from_bundle("models/phoenix-gloss2text")
ref = ship.vocab
states = []
for r in runs:
    # the run's weights with its gloss and piece rows in the shipped vocabularies' order
    # (translation.ml.pipeline.warm_start, as --init-from carries them)
    model = Translator(ship.model.cfg)
    if warm_start(model, r, ref, ship.tokenizer):
        raise SystemExit(f"{r} does not cover the shipped vocabularies")
    states.append(model.state_dict())
soup = {k: (sum(s[k].double() for s in states) / len(states)).to(v.dtype) if v.is_floating_point() else v
        for k, v in states[0].items()}
soup["gloss_to_piece"] = ship.model.state_dict()["gloss_to_piece"]  # the shipped vocabularies'
model = ship.model
model.load_state_dict(soup)
cfg = {k: v for k, v in ship.config.items() if k not in ("model", "reverse")}
cfg["decode"] = replace(ship.decode, rerank_weight=0.0).to_dict()
write_translation_bundle(out, model=model, tokenizer=ship.tokenizer, vocab=ref, name="phoenix-gloss2text",
                         language="gsg", metrics={}, card="# soup\n", extra_config=cfg)
print("wrote", out)
