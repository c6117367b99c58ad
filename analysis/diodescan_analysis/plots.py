"""Figures of diodescan result files, laid out like the paper's Figs. 2-4.

Balduque & Sánchez, PRL 134, 186301 (2025), Figs. 2-4: (a) forward and
backward particle currents I^F, I^B versus ε1 along a fixed ε3 ("particle
cut"), (b) heat currents J^F, J^B along another fixed ε3 ("heat cut"),
(c) the map of R_I and (d) the map of R_J over (ε1 − μ, ε3 − μ), with the two
cuts drawn as black lines on the maps.

On the maps the colour scale is diverging and centred at R = 0. The black
contour is where the product X^F·X^B changes sign: inside it both
configurations drive the current the same way (for particles: a bipolar, or
antireciprocal, diode), which is exactly where R = ±1; those points are also
hatched (|R| ≥ 1 − 1e-9, since R is ±1 there to rounding). Points that did not
converge or were not computed are grey.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Literal

import matplotlib

if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")  # headless by default; an interactive session keeps its backend

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .loader import ModelParameters, job_title, model_parameters

__all__ = [
    "Cuts",
    "colour_limit",
    "paper_cuts",
    "select_dT",
    "nearest_eps3",
    "plot_map",
    "plot_cut",
    "paper_figure",
    "dT_overview_figure",
]

#: |R| at or above this counts as R = ±1 (R is exactly ±1 where X^F, X^B share a sign).
UNIT_RECTIFICATION = 1.0 - 1e-9

_FORWARD_STYLE = {"color": "tab:red", "linestyle": "-"}
_BACKWARD_STYLE = {"color": "tab:blue", "linestyle": "--"}
_MISSING_COLOUR = "0.65"
_X1_LABEL = r"$(\varepsilon_1-\mu)/k_BT$"
_X3_LABEL = r"$(\varepsilon_3-\mu)/k_BT$"

Kind = Literal["particle", "heat"]


@dataclass(frozen=True)
class Cuts:
    """The fixed values of ε3 − μ of the paper's panels (a) and (b), in k_B T."""

    particle: float
    heat: float


#: The paper's cut lines: Fig. 2 (thermalisation, no screening) and Figs. 3-4 (screening).
PAPER_CUTS_THERMALISATION = Cuts(particle=4.8, heat=8.7)
PAPER_CUTS_SCREENING = Cuts(particle=8.2, heat=7.5)


def paper_cuts(
    parameters: ModelParameters,
    *,
    particle: float | None = None,
    heat: float | None = None,
) -> Cuts:
    """The paper's cut lines for a file's model, with optional overrides.

    Figs. 3 and 4 (screening on, λ = 0 or 1) cut along ε3 − μ = 8.2 and 7.5;
    Fig. 2 (no screening) along 4.8 and 8.7, used for every file without
    screening.
    """
    default = PAPER_CUTS_SCREENING if parameters.screening else PAPER_CUTS_THERMALISATION
    return Cuts(
        particle=default.particle if particle is None else float(particle),
        heat=default.heat if heat is None else float(heat),
    )


def select_dT(dataset: xr.Dataset, dT: float | None = None) -> xr.Dataset:
    """The slice of the grid at the ΔT nearest to ``dT``.

    Without ``dT``, a file with one ΔT gives that one, and a file with several
    gives the one nearest to 1 (the paper's ΔT/T = 1).
    """
    values = np.atleast_1d(dataset["dT"].values)
    target = 1.0 if dT is None else float(dT)
    index = int(np.argmin(np.abs(values - target)))
    return dataset.isel(dT=index)


def nearest_eps3(dataset: xr.Dataset, x3: float) -> tuple[int, float]:
    """Index and value of the grid line of ε3 − μ nearest to ``x3``.

    Warns when ``x3`` lies outside the grid (the edge line is used).
    """
    lines = np.asarray(dataset["x3"].values)
    index = int(np.argmin(np.abs(lines - x3)))
    if x3 < lines.min() or x3 > lines.max():
        warnings.warn(
            f"cut ε3 − μ = {x3:g} lies outside the grid [{lines.min():g}, {lines.max():g}]; "
            f"using the edge line {lines[index]:g}",
            stacklevel=2,
        )
    return index, float(lines[index])


def colour_limit(values, limit: float | str) -> float:
    """The half-width of a symmetric colour range.

    A number is used as given; ``"auto"`` takes the largest |value| (finite
    ones), rounded up to a multiple of 0.05 and at most 1 — so R_J, which
    stays within about ±0.2 in the paper's settings, fills the colour scale.
    """
    if isinstance(limit, str):
        if limit != "auto":
            raise ValueError(f"colour limit must be a number > 0 or 'auto', not {limit!r}")
        finite = np.abs(np.asarray(values, dtype=float))
        finite = finite[np.isfinite(finite)]
        peak = float(finite.max()) if finite.size else 1.0
        return min(1.0, max(0.05, float(np.ceil(peak / 0.05 - 1e-9) * 0.05)))
    if not limit > 0:
        raise ValueError(f"colour limit must be > 0, not {limit}")
    return float(limit)


def _symbol(kind: Kind) -> str:
    return "I" if kind == "particle" else "J"


def plot_map(
    ax: Axes,
    slice2d: xr.Dataset,
    quantity: Literal["R_I", "R_J"],
    *,
    cut: float | None = None,
    limit: float = 1.0,
    colorbar: bool = True,
):
    """Draw the map of ``R_I`` or ``R_J`` over (ε1 − μ, ε3 − μ) at one ΔT.

    ``limit`` sets the symmetric colour range [−limit, limit] (default the
    full range of R). ``cut`` (a value of ε3 − μ) draws the cut line. Returns
    the mesh (for a shared colour bar).
    """
    x1 = slice2d["x1"].values
    x3 = slice2d["x3"].values
    values = slice2d[quantity].transpose("eps3", "eps1").values
    colormap = plt.get_cmap("RdBu_r").with_extremes(bad=_MISSING_COLOUR)
    mesh = ax.pcolormesh(
        x1, x3, np.ma.masked_invalid(values),
        cmap=colormap, vmin=-limit, vmax=limit, shading="nearest", rasterized=True,
    )

    symbol = quantity[-1]
    forward = slice2d[f"{symbol}_F"].transpose("eps3", "eps1").values
    backward = slice2d[f"{symbol}_B"].transpose("eps3", "eps1").values
    with np.errstate(invalid="ignore", divide="ignore"):
        # X^F·X^B scaled to [−1/4, 1/4]: its zero line is where the sign changes.
        product = forward * backward / (np.abs(forward) + np.abs(backward)) ** 2
        unit = np.abs(values) >= UNIT_RECTIFICATION
    finite = product[np.isfinite(product)]
    if finite.size and finite.min() < 0 < finite.max() and len(x1) > 1 and len(x3) > 1:
        ax.contour(x1, x3, product, levels=[0.0], colors="black", linewidths=0.8)
    if unit.any() and len(x1) > 1 and len(x3) > 1:
        ax.contourf(
            x1, x3, unit.astype(float), levels=[0.5, 1.5],
            colors="none", hatches=["////"],
        )
    if cut is not None:
        ax.axhline(cut, color="black", linewidth=1.4)
    ax.set_xlabel(_X1_LABEL)
    ax.set_ylabel(_X3_LABEL)
    ax.set_aspect("equal" if _similar_spans(x1, x3) else "auto")
    if colorbar:
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.9)
        bar.set_label(f"$\\mathcal{{R}}_{symbol}$")
    return mesh


def _similar_spans(x1: np.ndarray, x3: np.ndarray) -> bool:
    span1 = float(np.ptp(x1)) if len(x1) > 1 else 0.0
    span3 = float(np.ptp(x3)) if len(x3) > 1 else 0.0
    return span1 > 0 and span3 > 0 and 0.5 <= span1 / span3 <= 2.0


#: Reference curves of panel (a): the paper's Fig. 2(a) shows the linear response
#: I_lin^F = L^(1)F ΔT (no screening), Fig. 3(a) the current with the
#: equilibrium transmission (green; screening). docs/physics.md §10.
_REFERENCE_STYLES = {
    "I_lin_F": ({"color": "black", "linestyle": ":"}, "$I^F_{lin} = L^{(1)F}\\Delta T$"),
    "I_eqT_F": ({"color": "tab:green", "linestyle": "-"}, "$I^F$, equilibrium transmission"),
    "I_eqT_B": ({"color": "tab:green", "linestyle": "--"}, "$I^B$, equilibrium transmission"),
}


def reference_names(screening: bool) -> tuple[str, ...]:
    """The reference curves of panel (a): I_lin^F without screening, I_eqT with it."""
    return ("I_eqT_F", "I_eqT_B") if screening else ("I_lin_F",)


def plot_cut(ax: Axes, slice2d: xr.Dataset, kind: Kind, x3: float, *,
             reference: xr.Dataset | None = None, reference_names: tuple[str, ...] = ()) -> float:
    """Draw X^F and X^B versus ε1 − μ along the grid line of ε3 − μ nearest ``x3``.

    For particles the intervals where I^F and I^B share a sign (the bipolar
    diode) are shaded. ``reference_names`` (e.g. ``I_lin_F``, ``I_eqT_F``) are
    drawn from the line's own datasets (``[output] extras``) or else from
    ``reference``, a Dataset over ``eps1`` (e.g. from
    :func:`numerics.point_reference`). Returns the value of ε3 − μ actually used.
    """
    index, actual = nearest_eps3(slice2d, x3)
    line = slice2d.isel(eps3=index)
    x1 = line["x1"].values
    symbol = _symbol(kind)
    forward = line[f"{symbol}_F"].values
    backward = line[f"{symbol}_B"].values
    ax.plot(x1, forward, label=f"${symbol}^F$", **_FORWARD_STYLE)
    ax.plot(x1, backward, label=f"${symbol}^B$", **_BACKWARD_STYLE)
    mu = float(line["eps1"].values[0] - x1[0])
    for name in reference_names if kind == "particle" else ():
        style, label = _REFERENCE_STYLES.get(name, ({}, name))
        if name in line:
            ax.plot(x1, line[name].values, label=label, **style)
        elif reference is not None and name in reference:
            ax.plot(reference["eps1"].values - mu, reference[name].values, label=label, **style)
    ax.axhline(0.0, color="0.4", linewidth=0.6)
    if kind == "particle":
        with np.errstate(invalid="ignore"):
            same_sign = forward * backward > 0
        if same_sign.any():
            low, high = ax.get_ylim()
            ax.fill_between(
                x1, low, high, where=same_sign, color="0.85", linewidth=0,
                label="bipolar", zorder=0, step="mid",
            )
            ax.set_ylim(low, high)
    units = "$k_BT/h$" if kind == "particle" else "$(k_BT)^2/h$"
    ax.set_xlabel(_X1_LABEL)
    ax.set_ylabel(f"${symbol}$ [{units}]")
    ax.set_title(f"{_X3_LABEL} = {actual:.4g}", fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    return actual


def paper_figure(
    dataset: xr.Dataset,
    *,
    dT: float | None = None,
    cut_particle: float | None = None,
    cut_heat: float | None = None,
    rj_limit: float | str = 1.0,
    reference: xr.Dataset | None = None,
    references: tuple[str, ...] | None = None,
) -> Figure:
    """The four panels of the paper's Figs. 2-4 at one ΔT.

    (a) I^F, I^B along the particle cut; (b) J^F, J^B along the heat cut;
    (c) R_I and (d) R_J over (ε1 − μ, ε3 − μ) with the cuts marked. Cut values
    (ε3 − μ) default to the paper's for the file's model (see
    :func:`paper_cuts`); the nearest grid line is used. ``rj_limit`` sets the
    colour range ±rj_limit of R_J, or ``"auto"`` to fit it (see
    :func:`colour_limit`; R_J stays within about ±0.2 in the paper's settings).
    ``references``: reference curves of panel (a) (default
    :func:`reference_names`: I_lin^F without screening as in Fig. 2(a), the
    equilibrium-transmission currents with it as in Fig. 3(a)), taken from
    the file's extras datasets when present, else from ``reference`` (a
    Dataset over ``eps1`` along the particle cut); absent ones are skipped.
    """
    parameters = model_parameters(dataset)
    cuts = paper_cuts(parameters, particle=cut_particle, heat=cut_heat)
    slice2d = select_dT(dataset, dT)

    figure, axes = plt.subplots(2, 2, figsize=(11, 9.5), layout="constrained")
    (ax_a, ax_b), (ax_c, ax_d) = axes
    names = reference_names(parameters.screening) if references is None else tuple(references)
    particle = plot_cut(ax_a, slice2d, "particle", cuts.particle, reference=reference, reference_names=names)
    heat = plot_cut(ax_b, slice2d, "heat", cuts.heat)
    plot_map(ax_c, slice2d, "R_I", cut=particle)
    plot_map(ax_d, slice2d, "R_J", cut=heat, limit=colour_limit(slice2d["R_J"].values, rj_limit))
    for ax, letter in zip((ax_a, ax_b, ax_c, ax_d), "abcd"):
        ax.text(-0.02, 1.02, f"({letter})", transform=ax.transAxes,
                ha="right", va="bottom", fontweight="bold")
    figure.legend(handles=_map_legend(), loc="outside lower center", ncols=3, fontsize="small", frameon=False)

    title = job_title(dataset) or dataset.attrs.get("title")
    heading = f"{parameters.label}, ΔT = {float(slice2d['dT']):g}"
    figure.suptitle(f"{title}\n{heading}" if isinstance(title, str) and title else heading)
    return figure


def _map_legend() -> list:
    return [
        Line2D([], [], color="black", linewidth=0.8, label="sign change of $X^F X^B$"),
        Patch(facecolor="none", edgecolor="black", hatch="////", label="$|\\mathcal{R}| = 1$"),
        Patch(facecolor=_MISSING_COLOUR, label="not converged / not computed"),
    ]


def dT_overview_figure(
    dataset: xr.Dataset,
    *,
    max_columns: int = 5,
    rj_limit: float | str = 1.0,
) -> Figure:
    """R_I (top row) and R_J (bottom row) maps at up to ``max_columns`` values of ΔT.

    The columns are spread evenly over the file's ΔT axis (always including its
    first and last value), to show how the maps change with ΔT.
    """
    values = np.atleast_1d(dataset["dT"].values)
    count = min(max_columns, len(values))
    indices = np.unique(np.round(np.linspace(0, len(values) - 1, count)).astype(int))
    figure, axes = plt.subplots(
        2, len(indices), figsize=(3.4 * len(indices) + 1.2, 6.6),
        layout="constrained", squeeze=False,
    )
    meshes = {}
    shown = dataset.isel(dT=[int(i) for i in indices])
    limits = {"R_I": 1.0, "R_J": colour_limit(shown["R_J"].values, rj_limit)}
    for column, index in enumerate(indices):
        slice2d = dataset.isel(dT=int(index))
        for row, quantity in enumerate(("R_I", "R_J")):
            ax = axes[row, column]
            meshes[quantity] = plot_map(ax, slice2d, quantity, limit=limits[quantity], colorbar=False)
            if row == 0:
                ax.set_title(f"ΔT = {float(values[index]):g}")
            if column > 0:
                ax.set_ylabel("")
    for row, quantity in enumerate(("R_I", "R_J")):
        bar = figure.colorbar(meshes[quantity], ax=axes[row, :].tolist(), shrink=0.9)
        bar.set_label(f"$\\mathcal{{R}}_{quantity[-1]}$")
    figure.suptitle(model_parameters(dataset).label)
    return figure
