"""How metrics are summarised and compared in the admin."""

from __future__ import annotations

from registry.metrics import comparison, flatten, headline

ISOLATED = {"test": {"clip1": {"top1": 0.9, "top5": 0.99, "confusion": [[1]]}},
            "baseline": {"clip1": {"top1": 0.5, "top5": 0.8}}, "history": [{"loss": 1.0}]}


def test_flatten_keeps_scalars_with_dotted_names():
    assert flatten(ISOLATED) == {"test.clip1.top1": 0.9, "test.clip1.top5": 0.99,
                                 "baseline.clip1.top1": 0.5, "baseline.clip1.top5": 0.8}


def test_headline_shows_the_model_not_its_baseline():
    assert headline(ISOLATED) == [("test.clip1.top1", 0.9), ("test.clip1.top5", 0.99)]
    assert headline({"bleu4": 20.1, "chrf": 40.0, "cer": 0.3, "epochs": 9}) == [
        ("bleu4", 20.1), ("chrf", 40.0), ("cer", 0.3)]


def test_comparison_knows_which_direction_is_better():
    rows = {r["name"]: r for r in comparison({"bleu4": 21.0, "cer": 0.4, "note": "x"},
                                             {"bleu4": 20.0, "cer": 0.3})}
    assert rows["bleu4"]["better"] is True
    assert rows["cer"]["better"] is False  # error rates go down
    assert rows["note"] == {"name": "note", "value": "x", "active": "", "better": None}
    assert comparison({}, None) == []
