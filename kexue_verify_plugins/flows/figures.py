"""Figure data for the flow checks (drawn by ``kexue_verify.reports.figures``): log-dets and round-trip errors.

* :func:`logdet_figure` — each probe sample's reported log-det against the float64 ``slogdet`` of its
  autograd Jacobian; a correct layer puts every point on the diagonal.
* :func:`roundtrip_figure` — each sample's round-trip error against the input's magnitude ``‖x‖∞``, with the
  rounding bound the check allows; a correct inverse stays under the bound at every magnitude.
"""

from __future__ import annotations

from typing import Any

__all__ = ["logdet_figure", "roundtrip_figure"]


def _floats(values: Any) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(None)
    return out


def logdet_figure(name: str, reported: Any, truth: Any) -> dict[str, Any]:
    """Reported log|det J| (y) against the float64 slogdet (x), one point per probe sample, and the line y = x."""
    x, y = _floats(truth), _floats(reported)
    finite = [v for v in x + y if v is not None]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    return {
        "title": name, "kind": "lines", "xlabel": "log|det J| by float64 slogdet of the autograd Jacobian",
        "ylabel": "log|det J| the layer reports",
        "series": [{"label": "y = x (a correct log-det)", "x": [lo, hi], "y": [lo, hi], "marker": ""},
                   {"label": "probe samples", "x": x, "y": y, "marker": "o"}],
        "caption": ("Each point is one probe sample (bulk and tail inputs). A correct layer puts every point on "
                    "the diagonal; a factor (2Σ log s), a sign flip or a missing term moves the points off it."),
    }


def roundtrip_figure(name: str, magnitude: Any, error: Any, bound: Any) -> dict[str, Any]:
    """Round-trip error per sample (y, log scale) against the input magnitude ‖x‖∞ (x), with the allowed bound."""
    order = sorted(range(len(magnitude)), key=lambda i: float(magnitude[i]))
    mags = [float(magnitude[i]) for i in order]
    errors = [float(error[i]) for i in order]
    exact = sum(1 for e in errors if e == 0.0)
    return {
        "title": name, "kind": "lines", "xlabel": "input magnitude ‖x‖∞", "ylabel": "‖round-trip error‖∞",
        "xscale": "log", "yscale": "log",
        "series": [{"label": "round-trip error", "x": mags, "y": [e if e > 0.0 else None for e in errors],
                    "marker": "o"},
                   {"label": "allowed rounding bound", "x": mags, "y": [float(bound[i]) for i in order],
                    "marker": ""}],
        "caption": ("One point per probe sample, from the bulk to the far tail. A correct inverse stays under the "
                    "bound at every magnitude; a wrong inverse is off by far more than rounding, usually growing "
                    "with the magnitude."
                    + (f" {exact} sample(s) came back exactly (error 0) and have no point on the log axis."
                       if exact else "")),
    }
