"""Ensembles of translators: the mean of the members' probabilities, decoded and served like one
model, written and read as one bundle; members that do not fit together are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mlcore.bundle import BundleError, read_bundle
from translation.ml.cli import main
from translation.ml.config import DecodeConfig, tiny_model_config
from translation.ml.decode import beam_search, decode_batch, greedy_decode
from translation.ml.ensemble import Ensemble, assemble, stack_members
from translation.ml.infer import TranslationPredictor, load_translator
from translation.ml.model import Translator
from translation.ml.pipeline import write_translation_bundle
from translation.ml.tokenizer import GlossVocab, TextTokenizer

from .conftest import TINY_PAIRS

DECODE = {"decode": DecodeConfig(beam_size=3, length_penalty=1.0, max_len_a=2.0,
                                 max_len_b=5).to_dict()}


def _model(vocab: GlossVocab, spm: TextTokenizer, seed: int, **overrides: object) -> Translator:
    torch.manual_seed(seed)
    cfg = tiny_model_config(src_vocab_size=len(vocab), tgt_vocab_size=len(spm), **overrides)
    return Translator(cfg).eval()


def _ensemble(members: list[Translator]) -> Ensemble:
    ens = Ensemble(members[0].cfg, len(members))
    ens.load_state_dict(stack_members([m.state_dict() for m in members]))
    return ens.eval()


def _bundle(model: Translator, vocab: GlossVocab, spm: TextTokenizer, path: Path) -> Path:
    return write_translation_bundle(path, model=model, tokenizer=spm, vocab=vocab, name=path.name,
                                    language="gsg", metrics={"bleu4": 1.0, "chrf": 2.0},
                                    card="## Licence\n\nTest licence.\n", extra_config=DECODE)


SRC = torch.tensor([[2, 3, 4, 5], [6, 7, 0, 0]])
MASK = SRC != 0


def test_an_ensemble_of_one_model_twice_decodes_as_that_model(tiny_vocab: GlossVocab,
                                                              tiny_spm: TextTokenizer) -> None:
    model = _model(tiny_vocab, tiny_spm, seed=1)
    twice = _ensemble([model, model])
    for cache in (True, False):
        one = beam_search(model, SRC, MASK, beam_size=3, use_cache=cache)
        two = beam_search(twice, SRC, MASK, beam_size=3, use_cache=cache)
        assert [h.tokens for h in one] == [h.tokens for h in two]
        assert [h.score for h in one] == pytest.approx([h.score for h in two], abs=1e-5)


def test_each_step_is_the_log_of_the_members_mean_probability(tiny_vocab: GlossVocab,
                                                              tiny_spm: TextTokenizer) -> None:
    a, b = _model(tiny_vocab, tiny_spm, seed=1), _model(tiny_vocab, tiny_spm, seed=2)
    ens = _ensemble([a, b])
    tgt = torch.tensor([[1, 5, 6], [1, 7, 8]])
    with torch.no_grad():
        want = ((a.decode(tgt, a.encode(SRC, MASK), MASK).softmax(-1)
                 + b.decode(tgt, b.encode(SRC, MASK), MASK).softmax(-1)) / 2).log()
        full = ens.decode(tgt, ens.encode(SRC, MASK), MASK)
        cache = ens.start_cache(ens.encode(SRC, MASK), MASK)
        steps = torch.stack([ens.decode_step(tgt[:, t], cache) for t in range(3)], dim=1)
    assert torch.allclose(full, want, atol=1e-5)
    assert torch.allclose(steps, want, atol=1e-5)  # the cached path agrees with the full one
    assert not torch.allclose(full, a.decode(tgt, a.encode(SRC, MASK), MASK).log_softmax(-1),
                              atol=1e-3)  # it is not simply the first member


def test_the_cli_writes_one_bundle_that_serves_as_it_was_scored(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, tiny_files: dict[str, Path],
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = [_model(tiny_vocab, tiny_spm, seed=s) for s in (1, 2, 3)]
    paths = [str(_bundle(m, tiny_vocab, tiny_spm, tmp_path / f"m{i}"))
             for i, m in enumerate(members)]
    capsys.readouterr()
    assert main(["ensemble-translation", "--members", *paths, "--out", str(tmp_path / "ens"),
                 "--name", "tiny-ensemble", "--dev-src", str(tiny_files["gloss"]),
                 "--dev-ref", str(tiny_files["text"]), "--threads", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    bundle = read_bundle(tmp_path / "ens")
    assert bundle.config["ensemble"] == 3 and bundle.config["decode"] == DECODE["decode"]
    assert [m["bundle"] for m in bundle.metrics["members"]] == paths
    assert printed["bleu4"] == bundle.metrics["bleu4"] and "copy_baseline" in bundle.metrics
    assert "ensemble of 3 translators" in bundle.card and "Test licence." in bundle.card
    assert "slrweb ensemble-translation --members" in bundle.card
    # Attention projections are named out_proj too: only the tied output matrix is left out.
    keys = set(bundle.load_state_dict())
    assert "members.2.decoder.0.self_attn.out_proj.weight" in keys
    assert "members.2.out_proj.weight" not in keys

    loaded, _ = load_translator(tmp_path / "ens")
    assert isinstance(loaded, Ensemble)
    for i, m in enumerate(members):
        assert loaded.members[i].out_proj.weight is loaded.members[i].tgt_embed.weight
        for key, value in m.state_dict().items():
            assert torch.equal(value, loaded.members[i].state_dict()[key]), key
    predictor = TranslationPredictor.from_bundle(tmp_path / "ens")
    lines = [g for g, _ in TINY_PAIRS[:4]]
    served = predictor.translate_text(lines)
    direct = _ensemble(members)
    for line, text in zip(lines, served, strict=True):
        src = torch.tensor([predictor.encode_glosses(line)])
        hyp = decode_batch(direct, src, torch.ones_like(src, dtype=torch.bool),
                           predictor.decode_settings())[0]
        assert text == tiny_spm.decode(hyp.tokens)
        assert predictor.translate_glosses(line.split())["text"] == text


def test_float16_storage_halves_the_weights_and_decodes_alike(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, tmp_path: Path) -> None:
    paths = [str(_bundle(_model(tiny_vocab, tiny_spm, seed=s), tiny_vocab, tiny_spm,
                         tmp_path / f"m{s}")) for s in (1, 2)]
    for dtype in ("float32", "float16"):
        assert main(["ensemble-translation", "--members", *paths, "--out",
                     str(tmp_path / dtype), "--weights-dtype", dtype, "--threads", "1"]) == 0
    wide, narrow = (tmp_path / d / "model.safetensors" for d in ("float32", "float16"))
    assert narrow.stat().st_size < 0.6 * wide.stat().st_size
    a, _ = load_translator(tmp_path / "float32")
    b, _ = load_translator(tmp_path / "float16")
    assert next(b.parameters()).dtype == torch.float32  # widened when loaded
    assert [h.tokens for h in greedy_decode(a, SRC, MASK)] == \
        [h.tokens for h in greedy_decode(b, SRC, MASK)]


@pytest.mark.parametrize("differ", ["architecture", "vocabulary"])
def test_members_that_do_not_fit_together_are_refused(
        differ: str, tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    first = _bundle(_model(tiny_vocab, tiny_spm, seed=1), tiny_vocab, tiny_spm, tmp_path / "a")
    if differ == "architecture":
        other = _bundle(_model(tiny_vocab, tiny_spm, seed=2, d_ff=32), tiny_vocab, tiny_spm,
                        tmp_path / "b")
    else:
        smaller = GlossVocab(tiny_vocab.glosses[:-1])
        other = _bundle(_model(tiny_vocab, tiny_spm, seed=2), smaller, tiny_spm, tmp_path / "b")
    with pytest.raises(BundleError, match="differs from"):
        assemble([first, other])
    assert main(["ensemble-translation", "--members", str(first), str(other), "--out",
                 str(tmp_path / "ens"), "--threads", "1"]) == 2
    assert "differs from" in capsys.readouterr().err
    assert not (tmp_path / "ens").exists()  # nothing half-written


def test_a_bundle_whose_weights_miss_a_member_is_refused(
        tiny_vocab: GlossVocab, tiny_spm: TextTokenizer, tmp_path: Path) -> None:
    paths = [str(_bundle(_model(tiny_vocab, tiny_spm, seed=s), tiny_vocab, tiny_spm,
                         tmp_path / f"m{s}")) for s in (1, 2)]
    assert main(["ensemble-translation", "--members", *paths, "--out",
                 str(tmp_path / "ens"), "--threads", "1"]) == 0
    config = json.loads((tmp_path / "ens" / "config.json").read_text())
    config["ensemble"] = 3  # says three members, holds two
    (tmp_path / "ens" / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="weights do not match config.json"):
        load_translator(tmp_path / "ens")
