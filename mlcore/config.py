"""One config style: frozen dataclasses, written with `to_dict` and read back with `from_dict`.

`from_dict` is strict everywhere: a key the dataclass does not name is an error that says where
it is (`train.lr_max`) and what the known keys are, so a typo in a config file or a bundle
written by other code never trains or serves with a silently dropped setting. Nested
dataclasses are rebuilt recursively and JSON lists become tuples where the field is a tuple.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A config holds a key its dataclass does not know, or a section that is not a mapping."""


def to_dict(config: Any) -> dict[str, Any]:
    """The JSON-ready dict of a dataclass config (nested dataclasses become dicts)."""
    return dataclasses.asdict(config)


def from_dict(cls: type[T], data: Mapping[str, Any] | None, *, where: str = "") -> T:
    """Build the dataclass `cls` from `data` (None: all defaults); unknown keys are errors."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where or cls.__name__} must be a mapping, not {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)  # type: ignore[arg-type]
              if f.init}
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{where}.{name}" if where else name
        if name not in fields:
            raise ConfigError(f"unknown config key {path!r} for {cls.__name__}; known keys: "
                              f"{', '.join(sorted(fields))}")
        kwargs[name] = _convert(hints[name], value, path)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    """`value` (from JSON) as the field type `hint` expects: dataclasses and tuples rebuilt."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or len(options) != 1:
            return value
        return _convert(options[0], value, where)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return value if dataclasses.is_dataclass(value) else from_dict(hint, value, where=where)
    if origin is tuple and isinstance(value, list | tuple):
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, where) for v in value)
        if args and len(args) == len(value):
            return tuple(_convert(a, v, where) for a, v in zip(args, value, strict=True))
        return tuple(value)
    return value


class Config:
    """Mixin of a frozen dataclass config: `to_dict()` and the strict `from_dict(data)`."""

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any] | None) -> T:
        return from_dict(cls, data)
