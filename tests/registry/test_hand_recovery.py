"""Which languages' jobs extract the hands Holistic lost (registry.selectors.wants_hand_recovery):
those with an active model trained on such landmarks (its config says so; landmarks.hands)."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry import selectors, services
from tests.registry.bundles import isolated_bundle

pytestmark = pytest.mark.django_db


def test_a_language_wants_recovered_hands_while_such_a_model_is_active(ase, make_bundle,
                                                                        tmp_path: Path) -> None:
    assert not selectors.wants_hand_recovery("ase")  # no active model at all
    services.activate_version(services.register_bundle(make_bundle(), ase))
    plain = services.register_bundle(isolated_bundle(tmp_path / "plain"), ase)
    services.activate_version(plain)
    assert not selectors.wants_hand_recovery("ase")  # a translator and a Holistic-alone model
    recovering = services.register_bundle(
        isolated_bundle(tmp_path / "recovering", seed=1, hand_recovery=True), ase)
    assert not selectors.wants_hand_recovery("ase")  # registered, not active
    services.activate_version(recovering)
    assert selectors.wants_hand_recovery("ase")
    assert selectors.any_wants_hand_recovery()  # a worker then warms MediaPipe Hands too
    assert selectors.hand_recovery_languages() == ["ase"]  # the page's privacy mode too
    assert not selectors.wants_hand_recovery("bfi")  # another language
    services.activate_version(plain)  # switched back in the admin: the next job reads alone
    assert not selectors.wants_hand_recovery("ase")
    assert not selectors.any_wants_hand_recovery()
    assert selectors.hand_recovery_languages() == []
