"""``--vary FLAG=V1,V2,...``: any painting flag as one axis of a sweep.

A flag is named as on the command line (``content-layers``, ``--pooling``) or
as its :class:`~artstyle.paint.PaintOptions` field (``content_layers``), and
each value is parsed to that field's type, so a misspelt flag or value fails
before anything is painted. Values are separated by commas; when a value is
itself a list (layers, layer weights, scales), separate the values by ``;``
instead (``--vary "style-layers=relu1_1;relu1_1,relu2_1"``).

``ratio`` is a shortcut axis: the style-to-content weight ratio, which keeps
the style weight and sets the content weight to style / ratio (Gatys et al.
2015, Fig. 3, across).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from enum import Enum

from artstyle.errors import UsageError
from artstyle.paint import PaintOptions

RATIO = "ratio"
_HINTS = typing.get_type_hints(PaintOptions)
_FIELDS = {f.name for f in dataclasses.fields(PaintOptions)}
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def flag_name(text: str) -> str:
    """``--content-layers`` / ``content-layers`` / ``content_layers`` -> ``content_layers`` (checked)."""
    name = text.strip().lstrip("-").replace("-", "_")
    if name != RATIO and name not in _FIELDS:
        known = sorted(f.replace("_", "-") for f in _FIELDS) + [RATIO]
        raise UsageError(f"--vary: unknown painting flag {text.strip()!r}", hint=f"vary one of: {', '.join(known)}")
    return name


def _kind(name: str):
    """The field's type with Optional stripped: int, float, bool, an Enum, or tuple[X, ...]."""
    hint = _HINTS[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if typing.get_origin(hint) in (typing.Union, getattr(__import__("types"), "UnionType", None)) else hint


def _scalar(kind, text: str, flag: str):
    text = text.strip()
    try:
        if kind is bool:
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError
            return text.lower() in _TRUE
        if isinstance(kind, type) and issubclass(kind, Enum):
            return kind(text).value
        value = kind(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        return value
    except ValueError:
        choices = f"one of: {', '.join(c.value for c in kind)}" if isinstance(kind, type) and issubclass(kind, Enum) else f"a {getattr(kind, '__name__', kind)}"
        raise UsageError(f"--vary {flag}: {text!r} is not a valid value", hint=f"give {choices}") from None


def parse_value(name: str, text: str):
    """One value of the flag, as the PaintOptions field takes it (a tuple for list flags)."""
    if name == RATIO:
        return _scalar(float, text, RATIO)
    kind = _kind(name)
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_scalar(item, part, name) for part in text.split(",") if part.strip())
    return _scalar(kind, text, name)


def parse_vary(text: str) -> tuple[str, list]:
    """``"pooling=max,avg"`` -> ("pooling", ["max", "avg"]): the field and its parsed values."""
    flag, sep, values = text.partition("=")
    if not sep or not values.strip():
        raise UsageError(f"malformed --vary {text!r}", hint="use --vary FLAG=V1,V2, e.g. --vary pooling=max,avg")
    name = flag_name(flag)
    parts = values.split(";") if ";" in values else values.split(",")
    parsed = [parse_value(name, p) for p in parts if p.strip()]
    if len(parsed) < 1:
        raise UsageError(f"--vary {flag}: give at least one value", hint="e.g. --vary pooling=max,avg")
    return name, parsed


def value_label(value) -> str:
    """How a value reads in a grid label and a file name: lists joined by '+', numbers as %g."""
    if isinstance(value, tuple):
        return "+".join(value_label(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def overrides(name: str, value, base: PaintOptions) -> dict:
    """The PaintOptions overrides one value of an axis stands for."""
    if name == RATIO:
        if value <= 0:
            raise UsageError(f"ratios must be positive numbers, not {value}", hint="use e.g. --vary ratio=1e1,1e3,1e5")
        return {"style_weight": base.style_weight, "content_weight": base.style_weight / value}
    return {name: value}
