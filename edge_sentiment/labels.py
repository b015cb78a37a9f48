"""Label values as files write them, turned into the labels a model learns: a label map
(``--label-map "1,2=negative" "4,5=positive"``), labels to drop (``--drop-label neutral``),
and fastText's ``__label__`` prefix. Shared by training (``export --train``) and ``evaluate``,
so a test file is read as its training file was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import BundleError, EdgeSentimentError

#: fastText's label prefix: ``__label__pos __label__funny some text``.
FASTTEXT_PREFIX = "__label__"


class LabelError(EdgeSentimentError):
    """A label map or label option is malformed."""


@dataclass(frozen=True)
class LabelRules:
    """How written label values become the labels a model learns.

    ``mapping``: written value -> label (values not in it are kept as written);
    ``dropped``: labels (after mapping) whose rows are left out.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, maps: Iterable[str] = (), drops: Iterable[str] = ()) -> LabelRules:
        """``maps`` like ``"1,2=negative"`` (values separated by commas, then ``=`` and the label)."""
        mapping: dict[str, str] = {}
        for spec in maps:
            values, equals, label = spec.rpartition("=")
            label = label.strip()
            if not equals or not values.strip() or not label:
                raise LabelError(f"--label-map {spec!r}: write VALUES=LABEL, e.g. --label-map \"1,2=negative\"")
            for value in (v.strip() for v in values.split(",")):
                if not value:
                    raise LabelError(f"--label-map {spec!r} has an empty value; separate values with single commas")
                if mapping.get(value, label) != label:
                    raise LabelError(f"--label-map maps {value!r} to both {mapping[value]!r} and {label!r}; give it one label")
                mapping[value] = label
        return cls(mapping, frozenset(d.strip() for d in drops if d.strip()))

    def __bool__(self) -> bool:
        return bool(self.mapping or self.dropped)

    def apply(self, value: str) -> str | None:
        """The label ``value`` becomes, or None when its rows are dropped."""
        label = self.mapping.get(value, value)
        return None if label in self.dropped or value in self.dropped else label

    def to_dict(self) -> dict:
        """For the manifest's training report: what ``evaluate`` applies to a test file by default."""
        return {"map": dict(sorted(self.mapping.items())), "dropped": sorted(self.dropped)}

    @classmethod
    def from_dict(cls, record) -> LabelRules:
        """The rules :meth:`to_dict` wrote (a bundle's ``dataset.label_rules``); none for None."""
        record = record or {}
        mapping, dropped = record.get("map", {}), record.get("dropped", [])
        if not (isinstance(mapping, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
                and isinstance(dropped, list) and all(isinstance(d, str) for d in dropped)):
            raise BundleError("dataset.label_rules must map label values to labels (map) and list dropped labels "
                              "(dropped); re-export the bundle")
        return cls(dict(mapping), frozenset(dropped))


def fasttext_line(line: str) -> tuple[list[str], str]:
    """``(labels, text)`` of a fastText line: leading ``__label__`` words, then the text."""
    words = line.split(" ")
    labels = []
    while words and words[0].startswith(FASTTEXT_PREFIX):
        labels.append(words.pop(0)[len(FASTTEXT_PREFIX):])
    return labels, " ".join(words)
