"""Spectrum files of ``diodescan spectrum --output`` (paper Fig. 3(e)).

A spectrum file holds, over one ``energy`` dimension scale, the terminal
transmissions ``T_LR_c``, ``T_Lp_c``, ``T_Rp_c`` for c = ``eq`` (equilibrium,
U = 0), ``F`` and ``B`` (at the self-consistent solutions), the spectral
currents ``spectral_I_j_c`` and ``spectral_J_j_c`` (j = L, R, p; c = F, B) and,
with screening, the injectivities ``nu_j_c`` over (``energy``, ``region``).
The parameters and the solved states (``I_F``, ``U_F``, ...) are root
attributes. See docs/physics.md §10.
"""

from __future__ import annotations

import os

import numpy as np
import xarray as xr

__all__ = ["SPECTRUM_KIND", "load_spectrum", "plot_spectrum", "integrate_spectrum", "spectrum_figure"]

#: The root attribute ``file_kind`` of a spectrum file.
SPECTRUM_KIND = "diodescan spectrum"


def load_spectrum(path: str | os.PathLike[str]) -> xr.Dataset:
    """The spectrum file as an ``xarray.Dataset`` over ``energy`` (and ``region``)."""
    dataset = xr.load_dataset(path, engine="h5netcdf")
    kind = dataset.attrs.get("file_kind")
    if kind != SPECTRUM_KIND:
        raise ValueError(f"{path} is not a diodescan spectrum file (file_kind = {kind!r})")
    return dataset


def integrate_spectrum(dataset: xr.Dataset, name: str) -> float:
    """Trapezoidal integral of a spectral dataset over the file's energy grid.

    Only as accurate as the grid resolves the spectrum (sharp Fabry-Perot
    states need a fine grid); the exact currents are the root attributes.
    """
    values = dataset[name].values
    energy = dataset["energy"].values
    return float(np.sum(0.5 * (values[1:] + values[:-1]) * np.diff(energy)))


def plot_spectrum(dataset: xr.Dataset, *, quantity: str = "T_LR", ax=None):
    """Plot ``quantity`` (e.g. ``T_LR``, ``T_Lp``, ``spectral_I_L``) over E - mu.

    Equilibrium (where present), forward and backward, as in the paper's
    Fig. 3(e). Returns the figure.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if ax is None:
        figure, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    else:
        figure = ax.figure
    mu = float(dataset.attrs["mu"])
    x = dataset["energy"].values - mu
    styles = [("eq", "equilibrium", {"color": "0.3", "linestyle": ":"}),
              ("F", "forward", {"color": "tab:red", "linestyle": "-"}),
              ("B", "backward", {"color": "tab:blue", "linestyle": "--"})]
    plotted = 0
    for suffix, label, style in styles:
        name = f"{quantity}_{suffix}"
        if name in dataset:
            ax.plot(x, dataset[name].values, label=label, **style)
            plotted += 1
    if plotted == 0:
        raise KeyError(f"no dataset {quantity}_eq/_F/_B in the spectrum file")
    ax.set_xlabel(r"$(E-\mu)/k_BT$")
    ax.set_ylabel(quantity)
    ax.legend(frameon=False)
    return figure


def spectrum_figure(dataset: xr.Dataset, *, quantities: tuple[str, ...] = ("T_LR", "spectral_I_L")):
    """One panel per quantity, stacked over a shared E - mu axis (default: the
    transmission as in the paper's Fig. 3(e), and the spectral particle current
    of lead L). Returns the figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(quantities), 1, figsize=(5, 2.6 * len(quantities)), sharex=True,
                                layout="constrained", squeeze=False)
    for ax, quantity in zip(axes[:, 0], quantities):
        plot_spectrum(dataset, quantity=quantity, ax=ax)
        if ax is not axes[-1, 0]:
            ax.set_xlabel("")
    a = dataset.attrs
    figure.suptitle(
        f"eps1 - mu = {a['eps1'] - a['mu']:g}, eps3 - mu = {a['eps3'] - a['mu']:g}, "
        f"lambda = {a['lambda']:g}, dT = {a['dT']:g}" + (", screening" if int(a.get("screening", 0)) else ""),
        fontsize="medium")
    return figure
