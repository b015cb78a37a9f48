"""``evaluate --plot``: the confusion matrix as a PNG (matplotlib, from the ``plot`` extra)."""

from __future__ import annotations

from pathlib import Path

from .errors import BackendUnavailableError


def write_confusion_matrix(matrix: list[list[int]], names: tuple[str, ...], path: Path, title: str) -> None:
    """Rows: true label, columns: predicted; each cell shows its count, shaded by its share of the row."""
    try:
        import matplotlib
    except ImportError:
        raise BackendUnavailableError("--plot needs matplotlib: pip install 'edge-sentiment[plot]'") from None
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    import numpy as np

    counts = np.asarray(matrix)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.6 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    if len(names) <= 30:
        for (row, column), count in np.ndenumerate(counts):
            ax.text(column, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if shares[row, column] > 0.5 else "black")
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
