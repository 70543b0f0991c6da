"""Noisy-channel reranking (translation.ml.rerank): the pick is forward score + weight x reverse
score, the bundle carries its reverse model, and every way of decoding it reranks alike."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mlcore.bundle import BundleError, read_bundle
from translation.ml.cli import main
from translation.ml.config import DecodeConfig, tiny_model_config
from translation.ml.data import Example, collate
from translation.ml.decode import beam_search_nbest, decode_batch
from translation.ml.ensemble import assemble
from translation.ml.infer import TranslationPredictor
from translation.ml.model import Translator
from translation.ml.pipeline import write_translation_bundle
from translation.ml.rerank import NoisyChannel, channel_logprobs, known_glosses
from translation.ml.tokenizer import GlossVocab, TextTokenizer, train_spm

from .conftest import TINY_PAIRS

DECODE = DecodeConfig(beam_size=4, length_penalty=1.0, max_len_a=2.0, max_len_b=4)


@pytest.fixture(scope="module")
def gloss_spm(tmp_path_factory: pytest.TempPathFactory) -> TextTokenizer:
    """The reverse model's target pieces: SentencePiece on the gloss lines."""
    out = tmp_path_factory.mktemp("gloss-spm")
    return TextTokenizer(train_spm([g for g, _ in TINY_PAIRS] * 5, out / "spm", vocab_size=30,
                                   model_type="bpe"))


@pytest.fixture(scope="module")
def word_vocab() -> GlossVocab:
    """The reverse model's source: the words of the text."""
    return GlossVocab.build(t for _, t in TINY_PAIRS)


def _fit(model: Translator, pairs: list[tuple[str, str]], vocab: GlossVocab,
         spm: TextTokenizer, steps: int) -> Translator:
    """A few optimiser steps on the tiny pairs: outputs made of real words, not yet right
    (a random reverse model reads every candidate as unknown words and scores them alike)."""
    batch = collate([Example(src=vocab.encode(a), tgt=spm.encode(b), ctc=[]) for a, b in pairs])
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        logits = model.decode(batch.tgt_in, model.encode(batch.src, batch.src_mask),
                              batch.src_mask)
        loss = F.cross_entropy(logits.transpose(1, 2), batch.targets, ignore_index=0)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def _forward(vocab: GlossVocab, spm: TextTokenizer, seed: int = 3) -> Translator:
    torch.manual_seed(seed)
    model = Translator(tiny_model_config(src_vocab_size=len(vocab), tgt_vocab_size=len(spm),
                                         max_tgt_len=12))
    return _fit(model, TINY_PAIRS, vocab, spm, steps=25)


def _reverse(words: GlossVocab, gloss_spm: TextTokenizer, seed: int = 4) -> Translator:
    torch.manual_seed(seed)
    model = Translator(tiny_model_config(src_vocab_size=len(words),
                                         tgt_vocab_size=len(gloss_spm)))
    return _fit(model, [(t, g) for g, t in TINY_PAIRS], words, gloss_spm, steps=60)


def _bundles(tmp_path: Path, tiny_vocab: GlossVocab, tiny_spm: TextTokenizer,
             word_vocab: GlossVocab, gloss_spm: TextTokenizer) -> tuple[Path, Path]:
    card = "# b\n\n## Licence\n\nTest licence.\n"
    fwd = write_translation_bundle(
        tmp_path / "fwd", model=_forward(tiny_vocab, tiny_spm), tokenizer=tiny_spm,
        vocab=tiny_vocab, name="fwd", language="gsg", metrics={}, card=card,
        extra_config={"decode": DECODE.to_dict()})
    rev = write_translation_bundle(
        tmp_path / "rev", model=_reverse(word_vocab, gloss_spm), tokenizer=gloss_spm,
        vocab=word_vocab, name="rev", language="gsg", metrics={"bleu4": 1.5}, card=card)
    return fwd, rev


def _batch(vocab: GlossVocab) -> tuple[torch.Tensor, torch.Tensor]:
    rows = [vocab.encode(g) for g, _ in TINY_PAIRS]
    src = torch.tensor([r + [0] * (3 - len(r)) for r in rows])
    return src, src != 0


def test_the_pick_is_the_forward_score_plus_the_weighted_reverse_score(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, word_vocab: GlossVocab,
        gloss_spm: TextTokenizer) -> None:
    forward, reverse = _forward(tiny_vocab, tiny_spm), _reverse(word_vocab, gloss_spm)
    channel = NoisyChannel(reverse, word_vocab, gloss_spm, tiny_vocab, tiny_spm)
    src, mask = _batch(tiny_vocab)
    nbest = beam_search_nbest(forward, src, mask, beam_size=4, max_len_a=2.0, max_len_b=4)
    assert all(len(c) > 1 for c in nbest)  # something to choose from
    for weight in (0.5, 5.0):
        served = decode_batch(forward, src, mask, replace(DECODE, rerank_weight=weight),
                              reranker=channel)
        for row, (cands, hyp) in enumerate(zip(nbest, served, strict=True)):
            glosses = known_glosses(tiny_vocab, src[row][mask[row]].tolist())
            reverse_scores = channel_logprobs(
                reverse, word_vocab, gloss_spm, [(tiny_spm.decode(c.tokens), glosses)
                                                 for c in cands])
            totals = [c.score + weight * r for c, r in zip(cands, reverse_scores, strict=True)]
            assert hyp.tokens == cands[totals.index(max(totals))].tokens
    # A strong weight changes some outputs, or the test above could not tell reranking apart.
    plain = decode_batch(forward, src, mask, DECODE)
    reranked = decode_batch(forward, src, mask, replace(DECODE, rerank_weight=5.0),
                            reranker=channel)
    assert [h.tokens for h in plain] == [c[0].tokens for c in nbest]
    assert [h.tokens for h in plain] != [h.tokens for h in reranked]


def test_settings_that_rerank_are_refused_without_a_reranker(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer) -> None:
    src, mask = _batch(tiny_vocab)
    with pytest.raises(ValueError, match="no reranker"):
        decode_batch(_forward(tiny_vocab, tiny_spm), src, mask, replace(DECODE,
                                                                       rerank_weight=0.3))


def test_the_bundle_carries_its_reranker_and_every_way_of_decoding_reranks_alike(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, word_vocab: GlossVocab,
        gloss_spm: TextTokenizer, tiny_files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    fwd, rev = _bundles(tmp_path, tiny_vocab, tiny_spm, word_vocab, gloss_spm)
    out = tmp_path / "reranked"
    assert main(["rerank-translation", "--model", str(fwd), "--reverse", str(rev), "--weight",
                 "5", "--out", str(out), "--dev-src", str(tiny_files["gloss"]), "--dev-ref",
                 str(tiny_files["text"]), "--threads", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    bundle = read_bundle(out)
    assert bundle.config["decode"] == replace(DECODE, rerank_weight=5.0).to_dict()
    assert bundle.config["reverse"]["src_vocab_size"] == len(word_vocab)
    assert json.loads((out / "bundle.json").read_text())["files"] == sorted([
        "MODEL_CARD.md", "config.json", "glosses.txt", "metrics.json", "model.safetensors",
        "spm.model", "reverse.glosses.txt", "reverse.spm.model"])
    assert printed["bleu4"] == bundle.metrics["bleu4"]
    assert "without_reranking" in bundle.metrics and "copy_baseline" in bundle.metrics
    assert "## Reranking (noisy channel" in bundle.card and "Test licence." in bundle.card
    assert "slrweb rerank-translation --model" in bundle.card

    predictor = TranslationPredictor.from_bundle(out)
    assert predictor.reranker is not None
    for key, value in _reverse(word_vocab, gloss_spm).state_dict().items():
        assert torch.equal(value, predictor.reranker.reverse.state_dict()[key]), key
    lines = tiny_files["gloss"].read_text().splitlines()
    hyp_file = tmp_path / "hyp.txt"
    assert main(["evaluate-translation", "--model", str(out), "--src", str(tiny_files["gloss"]),
                 "--ref", str(tiny_files["text"]), "--hyp-out", str(hyp_file),
                 "--threads", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["rerank_weight"] == 5.0
    assert main(["translate-text", "--model", str(out), "--input", str(tiny_files["gloss"]),
                 "--threads", "1"]) == 0
    served = capsys.readouterr().out.split("\n")[:-1]
    evaluated = [" ".join(t.split()) for t in hyp_file.read_text().split("\n")[:-1]]
    assert served == evaluated
    # a job's recognised glosses (the continuous chain) take translate_glosses
    assert [" ".join(predictor.translate_glosses(line.split())["text"].split())
            for line in lines] == served
    # ... and all of them differ from the same bundle without its reranker
    plain = TranslationPredictor.from_bundle(fwd).translate_text(lines)
    assert [" ".join(t.split()) for t in plain] != served
    # evaluate-translation --rerank-weight 0 decodes as the bundle without its reranker
    assert main(["evaluate-translation", "--model", str(out), "--src", str(tiny_files["gloss"]),
                 "--ref", str(tiny_files["text"]), "--hyp-out", str(hyp_file),
                 "--rerank-weight", "0", "--threads", "1"]) == 0
    assert hyp_file.read_text().split("\n")[:-1] == plain


def test_bundles_whose_reranker_does_not_fit_are_refused(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, word_vocab: GlossVocab,
        gloss_spm: TextTokenizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fwd, rev = _bundles(tmp_path, tiny_vocab, tiny_spm, word_vocab, gloss_spm)
    # a weight of 0 or less, and the reranked bundle used as a reverse model, are refused
    assert main(["rerank-translation", "--model", str(fwd), "--reverse", str(rev), "--weight",
                 "0", "--out", str(tmp_path / "zero")]) == 2
    assert "above 0" in capsys.readouterr().err and not (tmp_path / "zero").exists()
    out = tmp_path / "ok"
    assert main(["rerank-translation", "--model", str(fwd), "--reverse", str(rev), "--weight",
                 "1", "--out", str(out), "--threads", "1"]) == 0
    assert main(["rerank-translation", "--model", str(fwd), "--reverse", str(out), "--weight",
                 "1", "--out", str(tmp_path / "twice")]) == 2
    assert "without a reranker" in capsys.readouterr().err
    # a reranked bundle cannot join an ensemble: its reverse model would be dropped
    with pytest.raises(BundleError, match="reranks with a reverse model"):
        assemble([fwd, out])

    config = json.loads((out / "config.json").read_text())
    broken = dict(config, reverse={**config["reverse"], "d_ff": 48})
    (out / "config.json").write_text(json.dumps(broken))
    with pytest.raises(BundleError, match="reverse weights do not match"):
        TranslationPredictor.from_bundle(out)
    no_reverse = {k: v for k, v in config.items() if k != "reverse"}
    (out / "config.json").write_text(json.dumps(no_reverse))
    with pytest.raises(BundleError, match="without a reverse model"):
        TranslationPredictor.from_bundle(out)
    (out / "config.json").write_text(json.dumps(config))
    TranslationPredictor.from_bundle(out)  # restored: loads again
    (out / "reverse.glosses.txt").write_text("\n".join(word_vocab.glosses[:-1]) + "\n")
    with pytest.raises(BundleError, match="do not match its config"):
        TranslationPredictor.from_bundle(out)
    (out / "reverse.spm.model").unlink()
    with pytest.raises(BundleError, match="reverse.spm.model"):
        TranslationPredictor.from_bundle(out)


def test_a_reranked_bundles_reverse_model_reranks_another_forward_model(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, word_vocab: GlossVocab,
        gloss_spm: TextTokenizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fwd, rev = _bundles(tmp_path, tiny_vocab, tiny_spm, word_vocab, gloss_spm)
    first, other = tmp_path / "first", tmp_path / "other"
    assert main(["rerank-translation", "--model", str(fwd), "--reverse", str(rev), "--weight",
                 "5", "--out", str(first), "--threads", "1"]) == 0
    # a successor of the forward model (other weights, same vocabularies) takes it over
    successor = write_translation_bundle(
        tmp_path / "successor", model=_forward(tiny_vocab, tiny_spm, seed=9), tokenizer=tiny_spm,
        vocab=tiny_vocab, name="fwd2", language="gsg", metrics={}, card="# b\n",
        extra_config={"decode": DECODE.to_dict()})
    assert main(["rerank-translation", "--model", str(successor), "--reverse-of", str(first),
                 "--weight", "2", "--out", str(other), "--threads", "1"]) == 0
    capsys.readouterr()
    carried = TranslationPredictor.from_bundle(other)
    assert carried.reranker is not None and carried.decode.rerank_weight == 2.0
    for key, value in _reverse(word_vocab, gloss_spm).state_dict().items():
        assert torch.equal(value, carried.reranker.reverse.state_dict()[key]), key
    successor_state = TranslationPredictor.from_bundle(successor).model.state_dict()
    assert all(torch.equal(v, carried.model.state_dict()[k]) for k, v in successor_state.items())
    assert read_bundle(other).metrics["reverse"] == {"bundle": str(rev), "name": "rev",
                                                     "dev_bleu4": 1.5, "carried_by": str(first)}
    # a bundle without a reverse model has none to give
    assert main(["rerank-translation", "--model", str(successor), "--reverse-of", str(fwd),
                 "--weight", "2", "--out", str(tmp_path / "none"), "--threads", "1"]) == 2
    assert "carries no reverse model" in capsys.readouterr().err
