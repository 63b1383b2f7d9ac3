"""Drawing the figures that evidence carries as data (``Evidence.figure``) with matplotlib.

A figure is plain data so that it lives in the JSON report and can be redrawn::

    {"title": "...", "xlabel": "K", "ylabel": "relative error", "xscale": "linear", "yscale": "log",
     "series": [{"label": "x = 1", "x": [...], "y": [...]}],
     "hlines": [{"y": 0.5, "label": "optimum"}]}

``kind`` may be ``"lines"`` (default), ``"scatter"``, ``"bars"`` or ``"interval"`` (for each series, the
range from its ``lower`` to its ``upper`` value drawn as a bar at position ``x``, with both ends marked — a
bound sandwiched between a lower and an upper estimate).  ``caption`` says what to look for; the HTML report
prints it under the figure.  :func:`figure_svg` returns the figure as an ``<svg>`` element to embed in a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["draw_figure", "figure_svg"]


def _missing_as_nan(values: Any) -> Any:
    """Evidence stores a non-finite point as ``None``; matplotlib leaves a gap at NaN."""
    if isinstance(values, list):
        return [float("nan") if v is None else v for v in values]
    return values


def _interval(ax: Any, series: Mapping[str, Any], index: int) -> None:
    """One range bar from ``lower`` to ``upper`` at ``x`` (a category), both ends marked and labelled."""
    lower, upper = _missing_as_nan([series.get("lower"), series.get("upper")])
    x = str(series.get("x", series.get("label", index)))
    color = f"C{index}"
    ax.plot([x, x], [lower, upper], color=color, linewidth=6, alpha=0.5, solid_capstyle="butt",
            label=series.get("label"))
    ax.plot([x], [lower], marker="^", color=color, markersize=8, linestyle="none")
    ax.plot([x], [upper], marker="v", color=color, markersize=8, linestyle="none")
    for value, name, offset in ((lower, series.get("lower_label", "lower"), -12),
                                (upper, series.get("upper_label", "upper"), 6)):
        if value == value:  # not NaN
            ax.annotate(f"{name} {value:.6g}", (x, value), textcoords="offset points", xytext=(8, offset),
                        fontsize="small")


def _plot(figure: Mapping[str, Any], ax: Any) -> None:
    kind = figure.get("kind", "lines")
    for index, series in enumerate(figure.get("series", [])):
        if kind == "interval":
            _interval(ax, series, index)
            continue
        x, y = series.get("x", list(range(len(series["y"])))), series["y"]
        x, y = _missing_as_nan(x), _missing_as_nan(y)
        if kind == "scatter":
            ax.scatter(x, y, label=series.get("label"), s=12)
        elif kind == "bars":
            ax.bar([str(v) for v in x], y, label=series.get("label"))
        else:
            ax.plot(x, y, marker=series.get("marker", "o"), markersize=3, label=series.get("label"))
    for line in figure.get("hlines", []):
        ax.axhline(line["y"], linestyle="--", color=line.get("color", "grey"), label=line.get("label"))
    for line in figure.get("vlines", []):
        ax.axvline(line["x"], linestyle=":", color=line.get("color", "grey"), label=line.get("label"))
    if kind == "interval":
        ax.margins(x=0.6, y=0.25)


def _render(figure: Mapping[str, Any], save: Any) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    try:
        # scales first: setting one resets the axis' tick locators, which would drop categorical tick labels
        ax.set_xscale(figure.get("xscale", "linear"))
        ax.set_yscale(figure.get("yscale", "linear"))
        _plot(figure, ax)
        ax.set_xlabel(figure.get("xlabel", ""))
        ax.set_ylabel(figure.get("ylabel", ""))
        ax.set_title(figure.get("title", ""))
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        save(fig)
    finally:
        plt.close(fig)


def draw_figure(figure: Mapping[str, Any], path: Path) -> Path:
    """Render ``figure`` to ``path`` (SVG or PNG by extension) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _render(figure, lambda fig: fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None))
    return path


def figure_svg(figure: Mapping[str, Any], salt: str) -> str:
    """``figure`` as an inline ``<svg>`` element (no XML prolog), its internal ids made unique by ``salt``.

    Text stays text (``svg.fonttype = none``), so labels are selectable and use the page's fonts.
    """
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        _render(figure, lambda fig: fig.savefig(buffer, format="svg", metadata={"Date": None}))
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:].strip()
