r"""Checks of the claims about Glow's released code and training setup (FLOW-14, FLOW-16, FLOW-17, FLOW-19, FLOW-20).

The code facts are the quotes recorded in :mod:`.facts`; these checks parse them (regular expressions, ``argparse``)
rather than restating conclusions, and re-run what the quoted code computes in torch where there is something to
compute: actnorm's data-dependent initialisation, the FLOPs of Glow's coupling network ``f``
(``torch.utils.flop_counter``), and the objective against ``torch.distributions``.
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
from fractions import Fraction
from typing import Any

import sympy as sp
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows import layers, multiscale
from kexue_verify_plugins.flows.assertions import (
    ActnormDDI,
    CouplingCompute,
    GlowCelebaSetup,
    GlowHyperparameters,
    Objective,
    ReleasedInitialisation,
)
from kexue_verify_plugins.flows.facts import GLOW, fact

__all__ = ["actnorm_ddi_fact", "actnorm_ddi_numeric", "celeba_fact", "coupling_flops", "glow_f",
           "hyperparameters_fact", "objective_numeric", "released_initialisation"]

# --------------------------------------------------------------------------------------------- FLOW-14


def released_initialisation() -> tuple[str, dict[str, bool]]:
    """What the quoted openai/glow code does to actnorm before training: ``"data-dependent"`` or ``"zero"``.

    Data-dependent when the centre's initial value is minus the batch mean, the log-scale's is
    ``log(scale/(std + 1e-6))``, ``get_variable_ddi`` assigns the initial value under ``init``, and model.py runs
    the loss once with ``init=True`` on ``data_init``.  The ``if init and False:`` line guards only the all-reduce.
    """
    center, scale, ddi = GLOW["actnorm_center"]["text"], GLOW["actnorm_scale"]["text"], GLOW["get_variable_ddi"]["text"]
    init_run, args = GLOW["init_run"]["text"], GLOW["train_args"]["text"]
    guarded = scale.split("if init and False:")[1].split("logs =")[0]
    found = {
        "center initial value is -mean": bool(re.search(r"initial_value\s*=\s*-x_mean", center)),
        "log-scale initial value is log(scale/(std+1e-6))": "initial_value=tf.log(" in scale.replace("\n", "")
        and "tf.sqrt(x_var)+1e-6" in scale,
        "get_variable_ddi assigns it when init": bool(re.search(r"if init:\s*\n\s*w = w\.assign\(initial_value\)",
                                                                ddi)),
        "model.py runs the init pass on data_init": "init=True" in init_run and "data_init['x']" in init_run,
        "train.py has a batch size for data-dependent init": bool(re.search(r'"--n_batch_init", type=int, default=\d+',
                                                                            args)),
        "'if init and False' guards only the all-reduce": "allreduce_mean" in guarded
        and "get_variable_ddi" not in guarded,
    }
    return ("data-dependent" if all(found.values()) else "zero"), found


def actnorm_ddi_fact(ctx: CheckContext, a: ReleasedInitialisation) -> Evidence:
    """The stated initialisation of the released code against what the quoted lines of openai/glow do."""
    conclusion, found = released_initialisation()
    refs = [fact(n) for n in ("actnorm_center", "actnorm_scale", "get_variable_ddi", "init_run", "train_args")]
    references = [f"{q['file']} ({q['where']}): {q['url']}" for q in refs]
    return holds("openai/glow's actnorm initialisation", conclusion == a.released_code_initialisation,
                 method="parsing the recorded lines of tfops.py, model.py and train.py "
                        "(kexue_verify_plugins/flows/facts.py)",
                 expected=a.released_code_initialisation, note="quoted lines: " + "; ".join(references),
                 counterexample={"released_code_does": conclusion, "references": references}, **found)


def actnorm_ddi_numeric(ctx: CheckContext, a: ActnormDDI) -> list[Evidence]:
    """The fact, then actnorm's DDI in torch on a 256-sample batch (``--n_batch_init 256``) with non-trivial channel
    statistics: the initial parameters, the batch's output mean and std, and a later batch's std.

    After init the batch's mean is 0 up to rounding (8γ_N·max|y|) and its std is σ/(σ + 10⁻⁶), i.e. 1 within
    10⁻⁶/σ_min plus rounding.
    """
    ev = [actnorm_ddi_fact(ctx, a)]
    layer = layers.ActNorm((3, 4, 4)).to(device=ctx.device, dtype=ctx.torch_dtype)
    gen = ctx.generator(0, device="cpu")
    loc = torch.tensor([1.5, -0.7, 3.0], dtype=torch.float64).reshape(1, 3, 1, 1)
    scale = torch.tensor([2.0, 0.3, 5.0], dtype=torch.float64).reshape(1, 3, 1, 1)
    batch = loc + scale * torch.randn(256, 3, 4, 4, generator=gen, dtype=torch.float64)
    batch = batch.to(ctx.device, ctx.torch_dtype)
    layer.initialize(batch)
    with torch.no_grad():
        y, _ = layer(batch)
    dims = (0, 2, 3)
    mean, std = y.mean(dim=dims).to(torch.float64), y.std(dim=dims, unbiased=False).to(torch.float64)
    n = batch.numel() // 3
    ev.append(close("per-channel mean after init", float(mean.abs().max()), 0.0,
                    tol=tolerance(ctx.dtype, n=n, scale=float(y.abs().max())), method=f"torch actnorm ({ctx.dtype})"))
    sigma_min = float(batch.to(torch.float64).std(dim=dims, unbiased=False).min())
    ev.append(close("per-channel std after init", float((std - 1).abs().max()), 0.0,
                    tol=1e-6 / sigma_min + tolerance(ctx.dtype, n=n, scale=float(y.abs().max())),
                    method="σ/(σ + 10⁻⁶) = 1 − 10⁻⁶/σ + …"))
    with torch.no_grad():
        learned: dict[str, Any] = {"bias": layer.bias.detach().cpu().tolist(),
                                   "log_scale": layer.logs.detach().cpu().tolist()}
    is_identity = all(abs(v) < 1e-12 for v in learned["bias"] + learned["log_scale"])
    target = "μ = 0, σ = 1" if a.sets == "identity" else "the batch statistics"
    ev.append(holds(f"DDI sets the parameters to {target}",
                    is_identity == (a.sets == "identity"), method="initial parameters",
                    counterexample=learned, **learned))
    later = (loc - 1 + 0.5 * scale * torch.randn(256, 3, 4, 4, generator=gen, dtype=torch.float64)).to(
        ctx.device, ctx.torch_dtype)
    with torch.no_grad():
        later_std = layer(later)[0].std(dim=dims, unbiased=False).to(torch.float64)
    unit = bool(((later_std - 1).abs() <= 1e-6 / sigma_min + tolerance(ctx.dtype, n=n, scale=10.0)).all())
    ev.append(holds("a later batch (other statistics) also leaves with unit variance",
                    unit == a.unit_variance_on_later_batches, method="a second batch, shifted and rescaled",
                    counterexample={"later_batch_std": later_std.cpu().tolist()},
                    later_batch_std=later_std.cpu().tolist()))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-16


def glow_f(c_in: int, width: int, n_out: int) -> nn.Sequential:
    """Glow's coupling network ``f`` (model.py): conv3×3(c_in→width), ReLU, conv1×1(width→width), ReLU,
    conv3×3(width→n_out); actnorm and edge padding left out (they add no multiply-accumulates of note)."""
    return nn.Sequential(nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, width, 1), nn.ReLU(),
                         nn.Conv2d(width, n_out, 3, padding=1))


def _flops(nets: list[nn.Module], x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        for net in nets:
            net(x)
    return int(counter.get_total_flops())


def coupling_flops(ctx: CheckContext, a: CouplingCompute) -> list[Evidence]:
    """Count the FLOPs of ``f`` with ``torch.utils.flop_counter`` for additive (n_out = c/2) and affine (n_out = c)
    coupling at c = 12, width 512, on a 4×4 input (the ratio does not depend on the spatial size), and for affine
    coupling with separate s and t networks.  Ratios of integers: compared exactly."""
    c, width = int(a.channels), int(a.width)
    x = torch.zeros(1, c // 2, 4, 4, dtype=ctx.torch_dtype, device=ctx.device)

    def net(n_out: int) -> nn.Module:
        return glow_f(c // 2, width, n_out).to(device=ctx.device, dtype=ctx.torch_dtype)

    additive, affine = _flops([net(c // 2)], x), _flops([net(c)], x)
    separate = _flops([net(c // 2), net(c // 2)], x)
    ratio = Fraction(affine, additive)
    stated = sp.Rational(a.ratio.expr)
    ev = [holds("FLOPs(affine f) / FLOPs(additive f) = stated ratio", sp.Rational(ratio.numerator, ratio.denominator)
                == stated, method="torch.utils.flop_counter.FlopCounterMode", expected=str(stated),
                counterexample={"measured_ratio": float(ratio), "stated": float(stated)},
                additive_flops=additive, affine_flops=affine, measured_ratio=float(ratio))]
    if a.separate_networks_ratio is not None:
        sep = Fraction(separate, additive)
        stated_sep = sp.Rational(a.separate_networks_ratio.expr)
        ev.append(holds("separate s and t networks: FLOPs ratio = stated", sp.Rational(sep.numerator, sep.denominator)
                        == stated_sep, method="FlopCounterMode", counterexample={"measured_ratio": float(sep)},
                        measured_ratio=float(sep)))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-17, FLOW-20


def _train_parser() -> argparse.ArgumentParser:
    """The integer options of openai/glow's train.py, with the defaults parsed from the recorded lines."""
    parser = argparse.ArgumentParser(add_help=False)
    for name, default in re.findall(r'"--(\w+)", type=int, default=(\d+)', GLOW["train_args"]["text"]):
        parser.add_argument(f"--{name}", type=int, default=int(default))
    parser.add_argument("--n_level", dest="n_levels", type=int)  # the README's spelling (argparse prefix match)
    for name in ("problem",):
        parser.add_argument(f"--{name}")
    parser.add_argument("--image_size", type=int)
    return parser


def _readme_command() -> argparse.Namespace:
    argv = shlex.split(GLOW["readme_celeba"]["text"])
    known, _ = _train_parser().parse_known_args(argv[argv.index("train.py") + 1:])
    return known


def celeba_fact(ctx: CheckContext, a: GlowCelebaSetup) -> Evidence:
    """The README's CelebA-HQ 256 command, parsed; its --flow_coupling decoded with train.py's help text."""
    args = _readme_command()
    help_text = re.search(r'Coupling type: ([^"]+)"', GLOW["train_args"]["text"])
    assert help_text is not None, "train.py's --flow_coupling help text is in the stored fact"
    codes = dict(re.findall(r"(\d+)=(\w+)", help_text[1]))
    coupling = codes[str(args.flow_coupling)]
    measured = {"problem": args.problem, "image_size": args.image_size, "coupling": coupling}
    stated = {k: getattr(a, k) for k in measured}
    ref = fact("readme_celeba")
    return holds("README CelebA-HQ 256 command", measured == stated, method="argparse on the recorded command",
                 expected=stated, counterexample={"command": measured, "reference": ref},
                 note=f"{ref['file']} ({ref['where']}) at {ref['commit'][:7]}", **measured)


def hyperparameters_fact(ctx: CheckContext, a: GlowHyperparameters) -> Evidence:
    """train.py's defaults for --n_levels and --depth, and the README's --n_level for CelebA-HQ 256, parsed."""
    defaults = _train_parser().parse_args([])
    measured = {"n_levels": defaults.n_levels, "depth": defaults.depth,
                "celeba_256_n_levels": _readme_command().n_levels}
    stated = {k: getattr(a, k) for k in measured}
    return holds("Glow's hyperparameters", measured == stated, method="argparse on the recorded train.py and README",
                 expected=stated, counterexample={"measured": measured},
                 note=f"train.py at {GLOW['train_args']['commit'][:7]}, README.md at "
                      f"{GLOW['readme_celeba']['commit'][:7]}", **measured)


# --------------------------------------------------------------------------------------------- FLOW-19


class _FlowAsTransform(torch.distributions.Transform):
    """A flow (data → base) as the torch ``Transform`` base → data, for ``TransformedDistribution``."""

    bijective = True

    def __init__(self, flow: Any, event_shape: tuple[int, ...]) -> None:
        super().__init__(cache_size=0)
        self.flow, self.shape = flow, event_shape
        self.domain = torch.distributions.constraints.independent(torch.distributions.constraints.real, 1)
        self.codomain = torch.distributions.constraints.independent(torch.distributions.constraints.real, 1)

    def _call(self, z: torch.Tensor) -> torch.Tensor:
        return self.flow.inverse(z)[0].reshape(z.shape[0], -1)

    def _inverse(self, x: torch.Tensor) -> torch.Tensor:
        return self.flow(x.reshape(x.shape[0], *self.shape))[0]

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # torch's names (input x = base z, output y = data x), so that keyword calls match the base class
        return -self.flow(y.reshape(y.shape[0], *self.shape))[1]


def objective_numeric(ctx: CheckContext, a: Objective) -> list[Evidence]:
    """A multi-scale Glow (3×8×8, D = 192, perturbed) on 5-bit data dequantised as in model.py.  Reference:
    −log p from ``TransformedDistribution(Normal(0, I), flow⁻¹)`` minus the log-volume of a data bin (the spacing of
    the preprocessed grid, measured), and bits/dim as nats / (D ln 2); the stated formulas against it.  Also the
    sign of the dequantisation term against the quoted ``objective += - np.log(hps.n_bins) * …``."""
    n_bins = 32
    with layers.seeded(ctx.seed) as gen:
        glow = multiscale.MultiScaleGlow((3, 8, 8), gen, levels=3, depth=1, hidden=8)
        flow = layers.finish_layer(glow, gen, scale=0.05)
    flow = flow.to(device=ctx.device, dtype=ctx.torch_dtype).eval()
    gen = ctx.generator(0, device="cpu")
    x_int = torch.randint(0, n_bins, (4, 3, 8, 8), generator=gen)
    preprocess = lambda v: v / n_bins - 0.5  # noqa: E731 - model.py's preprocess, as one line
    x = (preprocess(x_int.double()) + torch.rand(4, 3, 8, 8, generator=gen, dtype=torch.float64) / n_bins).to(
        ctx.device, ctx.torch_dtype)
    d = x[0].numel()
    with torch.no_grad():
        z, logdet = flow(x)
        base = torch.distributions.Independent(torch.distributions.Normal(
            torch.zeros(d, dtype=ctx.torch_dtype, device=ctx.device), 1.0), 1)
        model = torch.distributions.TransformedDistribution(base, [_FlowAsTransform(flow, (3, 8, 8))])
        log_p = model.log_prob(x.reshape(4, -1))
    bin_width = float(preprocess(torch.tensor(1.0)) - preprocess(torch.tensor(0.0)))
    reference = (-log_p.to(torch.float64) - d * math.log(bin_width)).cpu()
    names = [a.nll.symbols[n] for n in ("zz", "D", "logdet", "n_bins", "mse")]
    loc = dict(zip(("zz", "D", "logdet", "n_bins", "mse"), names, strict=True))
    nll_expr = a.nll.expr
    nll_fn = sp.lambdify(names, nll_expr, "math")
    zz = (z.to(torch.float64) ** 2).sum(dim=1).cpu()
    mse = ((z.to(torch.float64) - x.reshape(4, -1).to(torch.float64)) ** 2).mean(dim=1).cpu()
    ld = logdet.to(torch.float64).cpu()
    stated = torch.tensor([nll_fn(float(zz[i]), d, float(ld[i]), n_bins, float(mse[i])) for i in range(4)],
                          dtype=torch.float64)
    scale = float((zz / 2 + ld.abs()).max()) + d * (math.log(2 * math.pi) / 2 + math.log(n_bins))
    tol = tolerance(ctx.dtype, n=d, scale=scale)
    err = (stated - reference).abs()
    ev = [close("stated NLL = −log p(x̃) − log vol(bin)", float(err.max()), 0.0, tol=tol,
                method=f"torch.distributions.TransformedDistribution ({ctx.dtype}), 4 images",
                counterexample={"stated": float(stated[0]), "reference": float(reference[0])})]
    nll_sym = a.bits_per_dim.symbols["nll"]
    bpd_fn = sp.lambdify([nll_sym, names[1]], a.bits_per_dim.expr)
    bits = torch.tensor([bpd_fn(float(v), d) for v in reference], dtype=torch.float64)
    ref_bits = reference / d / math.log(2)
    ev.append(close("stated bits/dim = NLL in bits per dimension", float((bits - ref_bits).abs().max()), 0.0,
                    tol=tolerance("float64", n=4, scale=float(ref_bits.abs().max())), method="nats → bits: ÷ ln 2",
                    counterexample={"stated": float(bits[0]), "reference": float(ref_bits[0])}))
    quoted = re.search(r"objective \+= (-?) ?np\.log\(hps\.n_bins\)", GLOW["objective"]["text"].replace("- ", "-"))
    code_sign = -1 if quoted and quoted.group(1) == "-" else 1  # on the log-likelihood; the NLL gets the opposite
    coeff = sp.diff(nll_expr.subs(sp.log(loc["n_bins"]), sp.Symbol("Lb")), sp.Symbol("Lb"))
    ev.append(holds("dequantisation term as in openai/glow model.py", sp.simplify(coeff - (-code_sign) * loc["D"]) == 0,
                    method="parsing the quoted objective line", expected="+D·log n_bins in the NLL",
                    counterexample={"stated_coefficient_of_log_n_bins": str(coeff), "reference": fact("objective")}))
    return ev

