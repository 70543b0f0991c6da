"""One config style (mlcore.config) and one device chooser (mlcore.device)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch

from mlcore.config import Config, ConfigError, from_dict
from mlcore.device import choose_device
from mlcore.train import LoopConfig


@dataclass(frozen=True)
class Inner(Config):
    sizes: tuple[int, ...] = (1, 2)
    pair: tuple[float, float] = (0.0, 1.0)
    kinds: tuple[tuple[str, float], ...] = (("a", 1.0),)


@dataclass(frozen=True)
class Outer(Config):
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    maybe: Inner | None = None
    extra: dict[str, str] = field(default_factory=dict)


def test_round_trip_rebuilds_nested_dataclasses_and_tuples() -> None:
    cfg = Outer(name="y", inner=Inner(sizes=(3,), kinds=(("b", 2.0), ("c", 0.5))),
                maybe=Inner(pair=(2.0, 3.0)), extra={"thanks": "thankyou"})
    as_json = {"name": "y", "inner": {"sizes": [3], "pair": [0.0, 1.0],
                                      "kinds": [["b", 2.0], ["c", 0.5]]},
               "maybe": {"sizes": [1, 2], "pair": [2.0, 3.0], "kinds": [["a", 1.0]]},
               "extra": {"thanks": "thankyou"}}
    assert Outer.from_dict(as_json) == cfg
    assert Outer.from_dict(cfg.to_dict()) == cfg
    assert Outer.from_dict(None) == Outer() and Outer.from_dict({"maybe": None}).maybe is None


def test_unknown_keys_are_errors_that_say_where() -> None:
    with pytest.raises(ConfigError, match=r"'nmae'.*known keys: extra, inner, maybe, name"):
        Outer.from_dict({"nmae": "y"})
    with pytest.raises(ConfigError, match=r"'inner\.size'"):
        Outer.from_dict({"inner": {"size": [1]}})
    with pytest.raises(ConfigError, match=r"'lr_max'"):
        from_dict(LoopConfig, {"lr": 0.1, "lr_max": 0.2})
    with pytest.raises(ConfigError, match="must be a mapping"):
        Outer.from_dict({"inner": [1, 2]})


def test_one_device_chooser() -> None:
    assert choose_device("cpu") == "cpu"
    assert choose_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert choose_device(None) == choose_device("auto")
    with pytest.raises(ValueError, match="unknown device"):
        choose_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            choose_device("cuda")


def test_the_registry_serves_on_the_chosen_device(settings: object) -> None:
    from registry.runtime import inference_device

    settings.SLRWEB_DEVICE = "auto"  # type: ignore[attr-defined]
    assert inference_device() == choose_device("auto")
    settings.SLRWEB_DEVICE = "cpu"  # type: ignore[attr-defined]
    assert inference_device() == "cpu"
    settings.SLRWEB_DEVICE = "gpu0"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown device"):
        inference_device()
