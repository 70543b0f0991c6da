"""The reverse model (German -> PHOENIX glosses) inside models/phoenix-gloss2text (issue 13 item 6).

Writes tmp/rev2-young: the seed-2 run of the train-translation command in its card, with the mean
of its epoch 8-12 weights (kept by --average-last 20) instead of the run's own average; young
reverse weights reranked better on dev than weights trained to the plateau (bench/RESULTS.md).

    OMP_NUM_THREADS=2 .venv/bin/python bench/phoenix_reverse_young.py
"""
import torch
from translation.ml.evaluate import evaluate_gloss_files
from translation.ml.infer import TranslationPredictor
from translation.ml.pipeline import write_translation_bundle
from translation.ml.train import average_weights
from mlcore.bundle import read_bundle
torch.set_num_threads(2)
src = "tmp/rev2/bundle"
p = TranslationPredictor.from_bundle(src)
p.model.load_state_dict(average_weights([f"tmp/rev2/ck/epoch-{e:03d}.pt" for e in range(8, 13)]))
p.model.eval()
D = "../shared/data/translation/phoenix2014T_text/phoenix2014T.dev"
m, _ = evaluate_gloss_files(p, D + ".de", D + ".gloss")
b = read_bundle(src)
card = b.card.rstrip() + ("\n\nThese weights are not the run's last average: they are the mean of the weights of epochs "
    "8-12 of that run (tmp/rev2/ck/epoch-008.pt ... epoch-012.pt, kept by --average-last 20), written by a "
    "one-off script; as a reverse model for noisy-channel reranking, young weights reranked better on "
    f"PHOENIX dev than weights trained to the plateau (bench/RESULTS.md). Their own dev BLEU-4 on glosses (greedy): {m['bleu4']}.\n")
cfg = {k: v for k, v in b.config.items() if k != "model"}
write_translation_bundle("tmp/rev2-young", model=p.model, tokenizer=p.tokenizer, vocab=p.vocab, name="phoenix-text2gloss",
    language=b.language, metrics={**m, "averaged_epochs": list(range(8, 13))}, card=card, extra_config=cfg)
print(m["bleu4"], m["chrf"])
