"""Figure data for the SVD claims (drawn by ``kexue_verify.reports.figures``): training curves and spectra."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from kexue_verify import Evidence

__all__ = ["loss_curve", "singular_value_bars", "with_figure"]


def with_figure(evidence: Evidence, figure: dict[str, Any]) -> Evidence:
    """The same evidence with ``figure`` attached."""
    return dataclasses.replace(evidence, figure=figure)


def loss_curve(losses: Sequence[float], optimum: float, *, label: str, optimum_label: str,
               xlabel: str = "function evaluation", points: int = 400) -> dict[str, Any]:
    """The best loss so far against the evaluation count (thinned to ``points``), with the optimum as a line."""
    best, running = [], float("inf")
    for value in losses:
        running = min(running, value)
        best.append(running)
    step = max(1, len(best) // points)
    xs = list(range(0, len(best), step))
    return {
        "title": "Training loss against the optimum",
        "xlabel": xlabel,
        "ylabel": "loss (best so far)",
        "yscale": "log",
        "series": [{"label": label, "x": xs, "y": [best[i] for i in xs], "marker": ""}],
        "hlines": [{"y": optimum, "label": optimum_label}],
        "caption": "Training succeeds when the curve comes down onto the dashed optimum and stays there.",
    }


def singular_value_bars(values: Sequence[float], k: int, *, title: str = "Singular values of M and the cut at k"
                        ) -> dict[str, Any]:
    """Bars of ``σ_1 … σ_r`` with a vertical line between ``σ_k`` and ``σ_{k+1}``.

    Bars are drawn on a categorical axis (labels ``σ1 … σr``) at positions ``0 … r−1``, so the cut sits at
    ``k − 0.5``.
    """
    return {
        "title": title,
        "xlabel": "singular values σ1 … σr, largest first",
        "ylabel": "σ_i",
        "kind": "bars",
        "series": [{"label": "σ_i(M)", "x": [f"σ{i}" for i in range(1, len(values) + 1)], "y": list(values)}],
        "vlines": [{"x": k - 0.5, "label": f"k = {k}"}],
        "caption": "The k largest singular values, left of the line, are the ones a rank-k approximation keeps.",
    }
