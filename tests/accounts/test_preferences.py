"""accounts.preferences: which language the picker preselects."""

from __future__ import annotations

from accounts.preferences import pick_language


def test_pick_language_prefers_remembered_then_default_then_first():
    assert pick_language("gsg", ["ase", "gsg"], "ase") == "gsg"
    assert pick_language("bfi", ["ase", "gsg"], "gsg") == "gsg"  # remembered one lost its model
    assert pick_language("", ["gsg", "mfs"], "ase") == "gsg"
    assert pick_language("ase", [], "ase") == ""
