"""What every architecture's explanation shares (edge_sentiment/explain.py puts them together)."""

from __future__ import annotations

import numpy as np

#: Gauss-Legendre nodes for the smooth RNN's integrated gradients.
RNN_NODES = 32
#: Midpoint-rule steps for piecewise-linear ReLU layers.
RELU_STEPS = 256


def completed(attribution: dict[int, float], change: float) -> dict[int, float]:
    """``attribution`` adjusted to sum to ``change`` exactly: the quadrature's remainder is
    spread in proportion to each attribution's size (equally if all are zero)."""
    if not attribution:
        return attribution
    values = np.array(list(attribution.values()))
    remainder = change - values.sum()
    size = np.abs(values).sum()
    values = values + (remainder * np.abs(values) / size if size > 0 else remainder / len(values))
    return dict(zip(attribution, values.tolist()))
