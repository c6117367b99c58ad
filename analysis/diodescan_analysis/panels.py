"""Figures for result files with any scan axes, and the paper's extra panels.

* :func:`figure` picks the panels from the file's extended axes (those with
  more than one value): two map axes ``eps1``/``eps3`` → the paper's layout
  (:func:`plots.paper_figure`); ``asymmetry`` × a width axis on the
  antisymmetric line → Fig. 2(e) (:func:`fig2e_figure`); other pairs → maps
  of R_I, R_J with current cuts (:func:`map_figure`); one ``dT`` axis →
  Fig. 3(f, g) (:func:`dT_figure`, with the differential thermal
  conductance); any other single axis → :func:`line_figure`.
* :func:`fig2e_summary` / :func:`thermal_conductance_summary`: the numbers
  those figures state, for printing.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import xarray as xr

from . import plots  # sets the Agg backend when nothing else was chosen
from .numerics import DERIVATIVE_STENCIL, Extremum, derivative, find_extremum, ridge

import matplotlib.pyplot as plt

__all__ = ["AXIS_LABELS", "axis_label", "plot_map", "plot_line", "figure", "choose_kind",
           "line_figure", "map_figure", "dT_figure", "fig2e_figure", "fig2e_summary",
           "thermal_conductance", "thermal_conductance_summary"]

AXIS_LABELS = {
    "eps1": r"$\varepsilon_1/k_BT$", "eps3": r"$\varepsilon_3/k_BT$", "dT": r"$\Delta T/T$",
    "gamma": r"$\Gamma/k_BT$", "gamma1": r"$\Gamma_1/k_BT$", "gamma3": r"$\Gamma_3/k_BT$",
    "lambda": r"$\lambda$", "d": r"$d$", "mu": r"$\mu/k_BT$",
    "detuning": r"$[(\varepsilon_1+\varepsilon_3)/2-\mu]/k_BT$",
    "asymmetry": r"$(\varepsilon_1-\varepsilon_3)/2k_BT$",
    "x1": r"$(\varepsilon_1-\mu)/k_BT$", "x3": r"$(\varepsilon_3-\mu)/k_BT$",
}
_STYLE = {"F": {"color": "tab:red", "linestyle": "-"}, "B": {"color": "tab:blue", "linestyle": "--"}}
#: Reference currents (extras): linear response dotted, equilibrium transmission green.
_EXTRA_STYLE = {
    "lin_F": {"color": "black", "linestyle": ":"}, "lin_B": {"color": "0.5", "linestyle": ":"},
    "eqT_F": {"color": "tab:green", "linestyle": "-"}, "eqT_B": {"color": "tab:green", "linestyle": "--"},
}
_UNITS = {"I": "$k_BT/h$", "J": "$(k_BT)^2/h$"}


def axis_label(name: str) -> str:
    return AXIS_LABELS.get(name, name)


def _shifted(ds: xr.Dataset, axis: str) -> tuple[np.ndarray, str]:
    """Plot coordinate of an axis: ε − μ for eps1/eps3 when available."""
    for eps, x in (("eps1", "x1"), ("eps3", "x3")):
        if axis == eps and x in ds.coords and ds[x].dims == (eps,):
            return np.asarray(ds[x].values), axis_label(x)
    return np.asarray(ds[axis].values), axis_label(axis)


def plot_map(ds: xr.Dataset, name: str, *, x: str | None = None, y: str | None = None, ax=None,
             limit: float | str | None = None, colorbar: bool = True):
    """Map of ``name`` over axes ``x`` (default: innermost extended) and ``y``."""
    extended = ds.diode.extended_axes
    if x is None or y is None:
        free = [a for a in extended if a not in (x, y)]
        if x is None:
            x = free.pop() if free else None
        if y is None:
            y = free.pop() if free else None
    if x is None or y is None:
        raise ValueError(f"a map needs two axes with several values; extended axes: {extended}")
    rest = [a for a in ds.diode.axes if a not in (x, y) and ds.sizes[a] > 1]
    if rest:
        raise ValueError(f"fix the other axes first (ds.diode.cut): {', '.join(rest)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5), layout="constrained")
    data = ds[name].squeeze([a for a in ds[name].dims if a not in (x, y) and ds.sizes[a] == 1])
    values = data.transpose(y, x).values
    xs, xlabel = _shifted(ds, x)
    ys, ylabel = _shifted(ds, y)
    if name.startswith("R_"):
        bound = 1.0 if limit is None else plots.colour_limit(values, limit)
        cmap, vmin, vmax = "RdBu_r", -bound, bound
    else:
        finite = np.abs(values[np.isfinite(values)])
        bound = float(finite.max()) if finite.size else 1.0
        signed = np.nanmin(values) < 0 < np.nanmax(values) if finite.size else False
        cmap, vmin, vmax = ("RdBu_r", -bound, bound) if signed else ("viridis", None, None)
    colormap = plt.get_cmap(cmap).with_extremes(bad="0.65")
    mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(values), cmap=colormap, vmin=vmin, vmax=vmax,
                         shading="nearest", rasterized=True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, shrink=0.9).set_label(name)
    return mesh


def plot_line(line: xr.Dataset, names: Sequence[str], *, axis: str, ax=None, derivative_of: bool = False):
    """Lines of ``names`` over ``axis`` (F solid red, B dashed blue, others in turn)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    xs, xlabel = _shifted(line, axis)
    for name in names:
        if name not in line:
            continue
        suffix = name.rsplit("_", 1)[-1]
        if name.split("_")[0] in ("I", "J") and name.count("_") == 1:
            style = dict(_STYLE.get(suffix, {}))
        else:
            style = dict(_EXTRA_STYLE.get(name.split("_", 1)[-1], {}))
        ax.plot(xs, line[name].values, label=name, **style)
    ax.axhline(0.0, color="0.4", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize="small", frameon=False)
    return ax


def choose_kind(ds: xr.Dataset) -> str:
    """The panel set for a file (or slice) with at most two extended axes."""
    extended = ds.diode.extended_axes
    if len(extended) == 2:
        if set(extended) == {"eps1", "eps3"}:
            return "paper"
        if "asymmetry" in extended and ({"gamma", "gamma1", "gamma3"} & set(extended)):
            return "fig2e"
        return "map"
    if len(extended) == 1:
        return "dT" if extended[0] == "dT" else "lines"
    if not extended:
        raise ValueError("the file holds a single point: nothing to plot (use `info`)")
    raise ValueError(f"more than two axes with several values ({', '.join(extended)}): "
                     "take a slice first (ds.diode.cut) or use the CLI's plot, which makes one figure per slice")


def figure(ds: xr.Dataset, *, kind: str = "auto", **options):
    """The standard figure of ``ds`` (kind ``auto``, ``paper``, ``fig2e``, ``map``, ``dT``, ``lines``)."""
    kind = choose_kind(ds) if kind == "auto" else kind
    if kind == "paper":
        dT = options.pop("dT", None)
        sliced = ds
        for axis in ds.diode.axes:
            if axis not in ("eps1", "eps3") and axis != "dT":
                sliced = sliced.isel({axis: 0})
        if "dT" not in sliced.dims:  # fixed ΔT (new convention): add the dimension the layout expects
            sliced = sliced.expand_dims(dT=[float(ds.diode.parameters.get("dT", 1.0))])
        return plots.paper_figure(sliced, dT=dT, **options)
    builders = {"fig2e": fig2e_figure, "map": map_figure, "dT": dT_figure, "lines": line_figure}
    if kind not in builders:
        raise ValueError(f"unknown figure kind {kind!r}; one of auto, paper, {', '.join(builders)}")
    return builders[kind](ds, **options)


def _title(ds: xr.Dataset, extra: str = "") -> str:
    title = plots.job_title(ds) or ""
    fixed = [f"{a} = {float(ds[a]):g}" for a in ds.diode.parameters.axes
             if a in ds.coords and ds[a].ndim == 0]
    heading = ", ".join(filter(None, [ds.diode.parameters.label] + fixed + [extra]))
    return f"{title}\n{heading}" if title else heading


def _letter(ax, letter: str) -> None:
    ax.text(-0.02, 1.02, f"({letter})", transform=ax.transAxes, ha="right", va="bottom", fontweight="bold")


def line_figure(ds: xr.Dataset, *, axis: str | None = None):
    """Particle currents, heat currents and rectification along one axis."""
    axis = axis or ds.diode.extended_axes[-1]
    line = ds.diode.line(axis)
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
    plot_line(line, ["I_F", "I_B", "I_lin_F", "I_eqT_F"], axis=axis, ax=axes[0])
    axes[0].set_ylabel(f"$I$ [{_UNITS['I']}]")
    plot_line(line, ["J_F", "J_B"], axis=axis, ax=axes[1])
    axes[1].set_ylabel(f"$J$ [{_UNITS['J']}]")
    plot_line(line, ["R_I", "R_J"], axis=axis, ax=axes[2])
    axes[2].set_ylabel(r"$\mathcal{R}$")
    axes[2].set_ylim(-1.05, 1.05)
    for ax, letter in zip(axes, "abc"):
        _letter(ax, letter)
    figure.suptitle(_title(line), fontsize="medium")
    return figure


def map_figure(ds: xr.Dataset, *, x: str | None = None, y: str | None = None, cut: float | None = None,
               rj_limit: float | str = 1.0):
    """(a) I^F, I^B and (b) J^F, J^B along ``x`` at the ``y`` line nearest ``cut`` (default its
    middle), (c) R_I and (d) R_J maps over (x, y) with the cut drawn."""
    extended = list(ds.diode.extended_axes)
    x = x or extended[-1]
    y = y or next(a for a in reversed(extended) if a != x)
    ys = np.asarray(ds[y].values, dtype=float)
    index = len(ys) // 2 if cut is None else int(np.argmin(np.abs(ys - cut)))
    line = ds.diode.cut(**{y: ys[index]})
    for a in line.diode.axes:
        if a != x and a in line.dims:
            line = line.isel({a: 0})
    figure, axes = plt.subplots(2, 2, figsize=(11, 9.5), layout="constrained")
    plot_line(line, ["I_F", "I_B", "I_lin_F", "I_eqT_F"], axis=x, ax=axes[0, 0])
    plot_line(line, ["J_F", "J_B"], axis=x, ax=axes[0, 1])
    for ax, symbol in zip(axes[0], "IJ"):
        ax.set_ylabel(f"${symbol}$ [{_UNITS[symbol]}]")
        ax.set_title(f"{y} = {ys[index]:.4g}", fontsize="medium")
    plot_map(ds, "R_I", x=x, y=y, ax=axes[1, 0])
    plot_map(ds, "R_J", x=x, y=y, ax=axes[1, 1], limit=rj_limit)
    shifted = _shifted(ds, y)[0][index]
    for ax in axes[1]:
        ax.axhline(shifted, color="black", linewidth=1.2)
    for ax, letter in zip(axes.ravel(), "abcd"):
        _letter(ax, letter)
    figure.suptitle(_title(ds), fontsize="medium")
    return figure


# --- Fig. 2(e) -----------------------------------------------------------------


def _width_axis(ds: xr.Dataset) -> str:
    for name in ("gamma", "gamma1", "gamma3"):
        if name in ds.diode.extended_axes:
            return name
    raise ValueError("no width axis (gamma, gamma1, gamma3) with several values")


def fig2e_summary(ds: xr.Dataset, name: str = "I_F") -> dict:
    """Numbers of Fig. 2(e): the largest and the most negative I over (Γ, asymmetry),
    refined below the grid step, and how well I^F = I^B holds on the antisymmetric line."""
    width = _width_axis(ds)
    data = ds[name]
    result = {"width_axis": width, "maximum": find_extremum(data, kind="max"),
              "minimum": find_extremum(data, kind="min"), "ridge": ridge(data, width, kind="max")}
    if "I_F" in ds and "I_B" in ds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scale = float(np.nanmax(np.abs(ds["I_F"].values)))
            result["max_relative_F_minus_B"] = float(np.nanmax(np.abs((ds["I_F"] - ds["I_B"]).values))) / scale
    detuning = ds.diode.parameters.get("detuning")
    result["detuning"] = detuning
    return result


def describe_fig2e(summary: dict) -> list[str]:
    width = summary["width_axis"]
    lines = [f"Fig. 2(e): {summary['maximum'].describe('I', 'maximum')}",
             f"Fig. 2(e): {summary['minimum'].describe('I', 'minimum')}",
             f"Fig. 2(e): the maximum of I over {width} lies at {width} = "
             f"{summary['maximum'].position[width]:.4g} (paper: Γ ≈ 2 k_B T; an independent solver: ≈ 2.5)"]
    if "max_relative_F_minus_B" in summary:
        lines.append(f"Fig. 2(e): max |I^F − I^B| / max |I| = {summary['max_relative_F_minus_B']:.2e} "
                     "(I^F = I^B on the antisymmetric line)")
    if summary.get("detuning") not in (None, 0.0):
        lines.append(f"warning: detuning = {summary['detuning']:g}, not on the antisymmetric line")
    return lines


def fig2e_figure(ds: xr.Dataset, *, name: str = "I_F"):
    """Paper Fig. 2(e): I on the antisymmetric line over (asymmetry, Γ), with the Γ of largest I
    at each asymmetry (white line) and the refined extrema (★), and I versus Γ at a few asymmetries."""
    summary = fig2e_summary(ds, name)
    width = summary["width_axis"]
    figure, (ax_map, ax_line) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    plot_map(ds, name, x="asymmetry", y=width, ax=ax_map)
    ax_map.set_xlabel(r"$(\varepsilon_1-\mu)/k_BT = (\mu-\varepsilon_3)/k_BT$")
    positive = ds[name].max(width) > 0
    rid = summary["ridge"]
    ax_map.plot(rid["asymmetry"].where(positive), rid["position"].where(positive), color="white",
                linewidth=1.0, label=f"{width} of max I")
    for extremum, marker in ((summary["maximum"], "*"), (summary["minimum"], "*")):
        ax_map.plot(extremum.position["asymmetry"], extremum.position[width], marker=marker, color="black",
                    markersize=12, markerfacecolor="yellow")
    ax_map.legend(loc="upper right", fontsize="small")
    best = summary["maximum"]
    asym = np.asarray(ds["asymmetry"].values)
    picks = sorted({float(asym[int(np.argmin(np.abs(asym - v)))]) for v in
                    (best.position["asymmetry"], 2 * best.position["asymmetry"], 4.0, -4.0)})
    for value in picks:
        line = ds.diode.cut(asymmetry=value)
        ax_line.plot(line[width].values, line[name].values, label=f"asymmetry = {value:.3g}")
    ax_line.axvline(best.position[width], color="0.3", linestyle=":")
    ax_line.axhline(0.0, color="0.4", linewidth=0.6)
    ax_line.set_xlabel(axis_label(width))
    ax_line.set_ylabel(f"$I^F = I^B$ [{_UNITS['I']}]")
    ax_line.legend(fontsize="small", frameon=False)
    ax_line.set_title(f"max I = {best.value:.5g} at {width} = {best.position[width]:.3f}, "
                      f"asymmetry = {best.position['asymmetry']:.3f}", fontsize="medium")
    _letter(ax_map, "e")
    figure.suptitle(_title(ds, "antisymmetric line ε1 + ε3 = 2μ"), fontsize="medium")
    return figure


# --- Fig. 3(f, g) ----------------------------------------------------------------


def thermal_conductance(line: xr.Dataset, axis: str = "dT") -> xr.Dataset:
    """Differential conductances along ΔT (stencil: :data:`numerics.DERIVATIVE_STENCIL`).

    ``dJ_F``, ``dJ_B`` = dJ^c/dΔT, ``dI_F``, ``dI_B`` = dI^c/dΔT, and the thermal
    differential conductance of each polarity, the change of the heat leaving
    the hot lead: ``kappa_F`` = dJ^F/dΔT, ``kappa_B`` = −dJ^B/dΔT (J is the heat
    current out of L; in B the hot lead is R).
    """
    out = xr.Dataset(coords={axis: line[axis]})
    for suffix in "FB":
        out[f"dI_{suffix}"] = derivative(line[f"I_{suffix}"], axis)
        out[f"dJ_{suffix}"] = derivative(line[f"J_{suffix}"], axis)
    out["kappa_F"] = out["dJ_F"]
    out["kappa_B"] = -out["dJ_B"]
    out.attrs["stencil"] = DERIVATIVE_STENCIL
    return out


def thermal_conductance_summary(line: xr.Dataset, axis: str = "dT") -> list[str]:
    """Where each polarity's thermal differential conductance is negative (the paper's claim)."""
    kappa = thermal_conductance(line, axis)
    lines = [f"Fig. 3(g): dJ/dΔT by {DERIVATIVE_STENCIL}"]
    grid = np.asarray(line[axis].values)
    for suffix, formula in (("F", "dJ^F/dΔT"), ("B", "−dJ^B/dΔT")):
        values = kappa[f"kappa_{suffix}"].values
        negative = np.isfinite(values) & (values < 0)
        if negative.any():
            first = grid[np.argmax(negative)]
            lines.append(f"Fig. 3(g): {suffix}: thermal differential conductance {formula} < 0 at "
                         f"{np.count_nonzero(negative)} of {values.size} ΔT, from ΔT = {first:g} "
                         f"(min {np.nanmin(values):.4g})")
        else:
            lines.append(f"Fig. 3(g): {suffix}: {formula} ≥ 0 wherever computed "
                         f"(min {np.nanmin(values) if np.isfinite(values).any() else float('nan'):.4g})")
        failed = ~np.isfinite(line[f"J_{suffix}"].values)
        if failed.any():
            lines.append(f"Fig. 3(f, g): {suffix}: {np.count_nonzero(failed)} ΔT not converged "
                         f"(first ΔT = {grid[np.argmax(failed)]:g})")
    return lines


def dT_figure(ds: xr.Dataset, *, axis: str = "dT"):
    """Paper Fig. 3(f, g): (f) I^F, I^B and (g) J^F, J^B versus ΔT, with the thermal differential
    conductances κ^F = dJ^F/dΔT, κ^B = −dJ^B/dΔT below (g)."""
    line = ds.diode.line(axis)
    kappa = thermal_conductance(line, axis)
    figure = plt.figure(figsize=(11, 7.5), layout="constrained")
    grid = figure.add_gridspec(2, 2, height_ratios=[1.4, 1])
    ax_f = figure.add_subplot(grid[:, 0])
    ax_g = figure.add_subplot(grid[0, 1])
    ax_k = figure.add_subplot(grid[1, 1], sharex=ax_g)
    plot_line(line, ["I_F", "I_B", "I_eqT_F", "I_eqT_B"], axis=axis, ax=ax_f)
    ax_f.set_ylabel(f"$I$ [{_UNITS['I']}]")
    plot_line(line, ["J_F", "J_B"], axis=axis, ax=ax_g)
    ax_g.set_ylabel(f"$J$ [{_UNITS['J']}]")
    ax_g.set_xlabel("")
    x = np.asarray(line[axis].values)
    ax_k.plot(x, kappa["kappa_F"].values, label=r"$dJ^F/d\Delta T$", **_STYLE["F"])
    ax_k.plot(x, kappa["kappa_B"].values, label=r"$-dJ^B/d\Delta T$", **_STYLE["B"])
    ax_k.axhline(0.0, color="0.4", linewidth=0.6)
    ax_k.set_xlabel(axis_label(axis))
    ax_k.set_ylabel(r"$\kappa$ [$k_B^2T/h$]")
    ax_k.legend(fontsize="small", frameon=False)
    ax_k.set_title("thermal differential conductance (3-point finite differences)", fontsize="small")
    _letter(ax_f, "f")
    _letter(ax_g, "g")
    figure.suptitle(_title(line), fontsize="medium")
    return figure
