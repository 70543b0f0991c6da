"""The shipped NCSLGR gloss->English bundle reads real NCSLGR and BOSTON-104 gloss lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from translation.ml.cli import main
from translation.ml.data import read_lines
from translation.ml.infer import TranslationPredictor

BUNDLE = Path(__file__).resolve().parents[3] / "models" / "ncslgr-gloss2text"


def test_translate_text_on_real_gloss_lines(shared_data: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    lines = read_lines(shared_data / "translation" / "ncslgr" / "dev.gloss")[:4]
    lines += ["", "IX-1P SEE JOHN YESTERDAY IX"]  # BOSTON-104 video 3, its own spelling
    gloss_file = tmp_path / "in.gloss"
    gloss_file.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["translate-text", "--model", str(BUNDLE), "--input", str(gloss_file),
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out.split("\n")[:-1]
    assert len(out) == len(lines) and out[4] == ""
    assert all(out[i] for i in (0, 1, 2, 3, 5))
    predictor = TranslationPredictor.from_bundle(BUNDLE)
    assert predictor.config["gloss_normalizer"] == "asl"
    # NCSLGR's and BOSTON's spellings of the same signs reach the model as the same ids.
    assert predictor.encode_glosses("IX-1p fs-JOHN GIVE1") == predictor.encode_glosses(
        "IX-1P JOHN i:GIVE:j")
    assert 1 not in predictor.encode_glosses("IX-1P SEE JOHN YESTERDAY IX")  # no <unk>
