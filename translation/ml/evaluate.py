"""Metrics of the translator: BLEU-4/chrF (sacrebleu, with signatures), CTC gloss WER, CER.

Also the batched decoding of a whole evaluation set, shared by training (dev BLEU for early
stopping), `slrweb evaluate-translation` and `slrweb translate-text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from tqdm import tqdm

from translation.ml.data import Example, bucket_batches, collate
from translation.ml.config import DecodeConfig
from translation.ml.decode import Reranker, decode_batch
from translation.ml.ensemble import Seq2Seq
from translation.ml.tokenizer import GlossVocab, TextTokenizer

if TYPE_CHECKING:
    from translation.ml.infer import TranslationPredictor


def text_metrics(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, Any]:
    """Corpus BLEU-4 and chrF with their sacrebleu signatures (default 13a tokenisation)."""
    from sacrebleu.metrics import BLEU, CHRF

    # force: PHOENIX references are already tokenised; 13a leaves such text as it is, so the
    # "forgot to detokenize" warning does not apply (and would spam every evaluation).
    bleu, chrf = BLEU(force=True), CHRF()
    refs = [list(references)]
    b = bleu.corpus_score(list(hypotheses), refs)
    c = chrf.corpus_score(list(hypotheses), refs)
    return {
        "bleu4": round(b.score, 2),
        "bleu_signature": str(bleu.get_signature()),
        "bleu_detail": str(b),
        "chrf": round(c.score, 2),
        "chrf_signature": str(chrf.get_signature()),
        "sentences": len(hypotheses),
    }


def copy_baseline_metrics(examples: Sequence[Example]) -> dict[str, Any]:
    """BLEU-4/chrF of outputting each example's gloss line lower-cased (the copy baseline):
    what a translator must beat to have learnt more than the glosses' English words."""
    from translation.ml.glossnorm import copy_baseline

    return text_metrics([copy_baseline(e.source) for e in examples], [e.text for e in examples])


def word_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """jiwer WER over the pairs whose reference is non-empty (jiwer rejects empty ones)."""
    import jiwer

    pairs = [(h, r) for h, r in zip(hypotheses, references, strict=True) if r.strip()]
    if not pairs:
        return float("nan")
    return float(jiwer.wer([r for _, r in pairs], [h for h, _ in pairs]))


def char_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """jiwer CER over the pairs whose reference is non-empty."""
    import jiwer

    pairs = [(h, r) for h, r in zip(hypotheses, references, strict=True) if r.strip()]
    if not pairs:
        return float("nan")
    return float(jiwer.cer([r for _, r in pairs], [h for h, _ in pairs]))  # type: ignore[arg-type]


def ctc_greedy_glosses(log_probs: torch.Tensor, src_mask: torch.Tensor) -> list[list[int]]:
    """Best-path CTC decoding: argmax per frame, merge repeats, drop blanks (id 0)."""
    best = log_probs.argmax(dim=-1)  # (B, S)
    out = []
    for row, mask in zip(best.tolist(), src_mask.tolist(), strict=True):
        ids, prev = [], -1
        for tok, real in zip(row, mask, strict=True):
            if real and tok != prev and tok != 0:
                ids.append(tok)
            prev = tok if real else prev
        out.append(ids)
    return out


def decode_examples(
    model: Seq2Seq,
    examples: Sequence[Example],
    tokenizer: TextTokenizer,
    settings: DecodeConfig,
    gloss_vocab: GlossVocab | None = None,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = False,
    reranker: Reranker | None = None,
) -> tuple[list[str], list[list[str]]]:
    """Translate every example (in input order) with `settings` (beam, length penalty, output
    cap, reranking with the bundle's `reranker`, through `decode_batch`); also CTC glosses when
    the model has a head."""
    texts: list[str] = [""] * len(examples)
    glosses: list[list[str]] = [[] for _ in examples]
    batches = bucket_batches([e.src_len for e in examples], batch_size, shuffle=False)
    for idx in tqdm(batches, desc="decode", disable=not progress, leave=False):
        batch = collate([examples[i] for i in idx]).to(device)
        hyps = decode_batch(model, batch.src, batch.src_mask, settings, reranker=reranker)
        for i, h in zip(idx, hyps, strict=True):
            texts[i] = tokenizer.decode(h.tokens)
        if model.ctc_head is not None and gloss_vocab is not None:
            with torch.no_grad():
                model.eval()
                lp = model.ctc_log_probs(model.encode(batch.src, batch.src_mask))
            assert lp is not None
            for i, ids in zip(idx, ctc_greedy_glosses(lp, batch.src_mask), strict=True):
                glosses[i] = gloss_vocab.decode(ids)
    return texts, glosses


def evaluate_examples(
    model: Seq2Seq,
    examples: Sequence[Example],
    tokenizer: TextTokenizer,
    gloss_vocab: GlossVocab | None = None,
    beam_size: int = 1,
    alpha: float = 1.0,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = False,
    max_len: tuple[float, int] = (0.0, 0),
    decode: DecodeConfig | None = None,
    reranker: Reranker | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Metrics of `model` on `examples` (refs = example.text, gloss refs = example.ctc).

    `decode` (a bundle's settings, see TranslationPredictor.decode_settings) replaces
    beam_size/alpha/max_len, which remain for the training loop's quick greedy evaluations."""
    settings = decode or DecodeConfig(beam_size=beam_size, length_penalty=alpha,
                                      max_len_a=max_len[0], max_len_b=max_len[1])
    texts, glosses = decode_examples(model, examples, tokenizer, settings, gloss_vocab,
                                     batch_size, device, progress, reranker)
    refs = [e.text for e in examples]
    metrics = text_metrics(texts, refs)
    metrics["cer"] = round(char_error_rate(texts, refs), 4)
    metrics["beam_size"] = settings.beam_size
    metrics["length_penalty"] = settings.length_penalty
    metrics["max_len"] = [settings.max_len_a, settings.max_len_b]
    metrics["min_len_a"] = settings.min_len_a
    metrics["rerank_weight"] = settings.rerank_weight
    if model.ctc_head is not None and gloss_vocab is not None:
        gloss_refs = [" ".join(gloss_vocab.decode(e.ctc)) for e in examples]
        metrics["ctc_gloss_wer"] = round(word_error_rate([" ".join(g) for g in glosses],
                                                         gloss_refs), 4)
    else:
        metrics["ctc_gloss_wer"] = None  # no CTC head (e.g. gloss input: nothing to recognise)
    return metrics, texts


def evaluate_gloss_files(predictor: TranslationPredictor, src: str, ref: str,
                         decode: DecodeConfig | None = None) -> tuple[dict[str, Any], list[str]]:
    """A gloss-input predictor scored on line-aligned gloss / reference files, as a job and
    translate-text decode (the bundle's settings unless `decode`), with the copy baseline of the
    same lines in metrics["copy_baseline"]; (metrics, hypotheses)."""
    from translation.ml.data import encode_gloss_pairs, load_parallel

    examples = encode_gloss_pairs(load_parallel(src, ref), predictor.vocab, predictor.tokenizer,
                                  10_000, predictor.normalize)
    metrics, hyps = evaluate_examples(predictor.model, examples, predictor.tokenizer,
                                      predictor.vocab, progress=True,
                                      decode=decode or predictor.decode_settings(),
                                      reranker=predictor.reranker)
    metrics["copy_baseline"] = copy_baseline_metrics(examples)
    return metrics, hyps
