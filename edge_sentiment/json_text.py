"""JSON written by others (bundle files, JSON Lines input), read strictly: what RFC 8259
allows and nothing Python's ``json`` adds (NaN, Infinity), numbers that fit what they are
read into, and every failure a :class:`ValueError` whose message says what is wrong."""

from __future__ import annotations

import json
import math


class JsonError(ValueError):
    """The text is not JSON this project can read; the message says why."""


def _constant(name: str):
    raise JsonError(f"{name} is not a JSON value (RFC 8259); write null or a string")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"the number {text[:40]} is beyond a double's range; write it as a string")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise JsonError(f"an integer of {len(text):,} digits is too long to read; write it as a string") from None


def parse(text: str):
    """The value of the JSON ``text``; :class:`JsonError` (a ValueError) if it is not one."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except JsonError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonError("it nests arrays or objects too deeply to read") from None
