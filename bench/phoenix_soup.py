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
import torch
from translation.ml.infer import TranslationPredictor
from translation.ml.pipeline import write_translation_bundle
out, runs = sys.argv[1], sys.argv[2:]
ship = TranslationPredictor.from_bundle("models/phoenix-gloss2text")
ref = ship.vocab
states = []
for r in runs:
    p = TranslationPredictor.from_bundle(r)
    if p.tokenizer.model_path.read_bytes() != ship.tokenizer.model_path.read_bytes():
        raise SystemExit(f"{r} has another SentencePiece model")
    perm = torch.tensor([p.vocab.stoi[g] for g in ref.itos])
    st = {k: v.clone() for k, v in p.model.state_dict().items()}
    st["src_embed.weight"] = st["src_embed.weight"][perm]
    st["gloss_to_piece"] = st["gloss_to_piece"][perm]
    states.append(st)
soup = {k: (sum(s[k].double() for s in states) / len(states)).to(v.dtype) if v.is_floating_point() else v
        for k, v in states[0].items()}
assert torch.equal(soup["gloss_to_piece"], ship.model.state_dict()["gloss_to_piece"])
model = ship.model
model.load_state_dict(soup)
cfg = {k: v for k, v in ship.config.items() if k not in ("model", "reverse")}
cfg["decode"] = replace(ship.decode, rerank_weight=0.0).to_dict()
write_translation_bundle(out, model=model, tokenizer=ship.tokenizer, vocab=ref, name="phoenix-gloss2text",
                         language="gsg", metrics={}, card="# soup\n", extra_config=cfg)
print("wrote", out)
