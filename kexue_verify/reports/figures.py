"""Drawing the figures that evidence carries as data (``Evidence.figure``) with matplotlib.

A figure is plain data so that it lives in the JSON report and can be redrawn::

    {"title": "...", "xlabel": "K", "ylabel": "relative error", "xscale": "linear", "yscale": "log",
     "series": [{"label": "x = 1", "x": [...], "y": [...]}],
     "hlines": [{"y": 0.5, "label": "optimum"}]}

``kind`` may be ``"lines"`` (default), ``"scatter"`` or ``"bars"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["draw_figure"]


def _missing_as_nan(values: Any) -> Any:
    """Evidence stores a non-finite point as ``None``; matplotlib leaves a gap at NaN."""
    if isinstance(values, list):
        return [float("nan") if v is None else v for v in values]
    return values


def draw_figure(figure: Mapping[str, Any], path: Path) -> Path:
    """Render ``figure`` to ``path`` (SVG or PNG by extension) and return the path."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    try:
        kind = figure.get("kind", "lines")
        for series in figure.get("series", []):
            x, y = series.get("x", list(range(len(series["y"])))), series["y"]
            x, y = _missing_as_nan(x), _missing_as_nan(y)
            if kind == "scatter":
                ax.scatter(x, y, label=series.get("label"), s=12)
            elif kind == "bars":
                ax.bar([str(v) for v in x], y, label=series.get("label"))
            else:
                ax.plot(x, y, marker=series.get("marker", "o"), markersize=3, label=series.get("label"))
        for line in figure.get("hlines", []):
            ax.axhline(line["y"], linestyle="--", color="grey", label=line.get("label"))
        for line in figure.get("vlines", []):
            ax.axvline(line["x"], linestyle=":", color="grey", label=line.get("label"))
        ax.set_xscale(figure.get("xscale", "linear"))
        ax.set_yscale(figure.get("yscale", "linear"))
        ax.set_xlabel(figure.get("xlabel", ""))
        ax.set_ylabel(figure.get("ylabel", ""))
        ax.set_title(figure.get("title", ""))
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    finally:
        plt.close(fig)
    return path
