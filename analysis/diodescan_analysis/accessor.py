"""The ``ds.diode`` accessor of loaded diodescan result files.

Registered when ``diodescan_analysis`` is imported::

    import diodescan_analysis as da
    ds = da.load("out/fig2e.h5")
    ds.diode.axes                    # ('gamma', 'asymmetry'): scan axes, outermost first
    ds.diode.parameters              # ScanParameters: .fixed (dict), .axes, .screening, .label
    ds.diode.converged               # bool DataArray: status 0 or 3 in both F and B
    ds.diode.masked("R_I")           # the variable, NaN where not converged
    ds.diode.cut(gamma=2.5)          # nearest grid line(s); x1=4.8 means eps1 = mu + 4.8
    ds.diode.plot_map("I_F")         # a 2-D map over the two remaining axes
    ds.diode.plot_line(["I_F", "I_B"], axis="gamma", asymmetry=-2)
    ds.diode.figure()                # the standard panel set for the file's axes
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import xarray as xr

from .loader import ScanParameters, scan_axes, scan_parameters

__all__ = ["DiodeAccessor", "SHIFTED_AXES"]

#: Names accepted by :meth:`DiodeAccessor.cut` in place of an axis: ε − μ.
SHIFTED_AXES = {"x1": "eps1", "x3": "eps3"}


@xr.register_dataset_accessor("diode")
class DiodeAccessor:
    """Parameters, masks, cuts and figures of a loaded diodescan result file."""

    def __init__(self, dataset: xr.Dataset):
        self._ds = dataset
        self._parameters: ScanParameters | None = None

    # --- what the file is -----------------------------------------------------

    @property
    def axes(self) -> tuple[str, ...]:
        """The scan axes, outermost first (the dims of the result datasets but ``region``)."""
        stored = self._ds.attrs.get("scan_axes")
        if stored is not None:
            return tuple(a for a in np.atleast_1d(stored).tolist() if a in self._ds.dims)
        return scan_axes(self._ds)

    @property
    def extended_axes(self) -> tuple[str, ...]:
        """The axes with more than one value (the ones a plot has to show)."""
        return tuple(a for a in self.axes if self._ds.sizes[a] > 1)

    @property
    def parameters(self) -> ScanParameters:
        """Fixed parameters and axes (parsed once from the root attributes)."""
        if self._parameters is None:
            self._parameters = scan_parameters(self._ds, axes=self.axes)
        return self._parameters

    def value(self, name: str) -> float | xr.DataArray | None:
        """A parameter: its coordinate if it is an axis, else its fixed value (or None)."""
        if name in self._ds.coords:
            return self._ds[name]
        return self.parameters.get(name)

    # --- masks ----------------------------------------------------------------

    @property
    def converged(self) -> xr.DataArray:
        """True where both configurations converged (status 0 or 3)."""
        if "converged" in self._ds:
            return self._ds["converged"]
        return self._ds["status_F"].isin((0, 3)) & self._ds["status_B"].isin((0, 3))

    def masked(self, name: str) -> xr.DataArray:
        """``name`` with NaN where its configuration (both, for R_I/R_J) did not converge."""
        variable = self._ds[name]
        base, _, suffix = name.rpartition("_")
        if suffix in ("F", "B") and f"status_{suffix}" in self._ds:
            keep = self._ds[f"status_{suffix}"].isin((0, 3))
        else:
            keep = self.converged
        return variable.where(keep)

    # --- selections -------------------------------------------------------------

    def cut(self, **at: float) -> xr.Dataset:
        """The grid points nearest to the given axis values (the axes are dropped).

        Keys are axis names, or ``x1``/``x3`` for ε1 − μ, ε3 − μ (needs a fixed μ).
        Raises ``KeyError`` for a name that is not an axis.
        """
        selection = {}
        for key, target in at.items():
            axis = key
            if key in SHIFTED_AXES and key not in self._ds.dims:
                axis = SHIFTED_AXES[key]
                mu = self.parameters.mu
                if mu is None:
                    raise KeyError(f"{key} needs a fixed mu")
                target = float(target) + mu
            if axis not in self._ds.dims:
                raise KeyError(f"{key!r} is not an axis of this file; axes: {', '.join(self.axes)}")
            values = np.asarray(self._ds[axis].values, dtype=float)
            selection[axis] = int(np.argmin(np.abs(values - float(target))))
        return self._ds.isel(selection)

    def line(self, axis: str, **at: float) -> xr.Dataset:
        """A 1-D line along ``axis``: the other extended axes must be fixed by ``at``
        (nearest grid values); axes of length one are squeezed."""
        cut = self.cut(**at)
        others = [a for a in cut.diode.axes if a != axis and cut.sizes[a] > 1]
        if others:
            raise ValueError(f"a line along {axis} needs values for the other axes: {', '.join(others)}")
        if axis not in cut.dims:
            raise KeyError(f"{axis!r} is not an axis of this file; axes: {', '.join(self.axes)}")
        return cut.squeeze([a for a in cut.diode.axes if a != axis and a in cut.dims])

    # --- figures ----------------------------------------------------------------

    def plot_map(self, name: str = "R_I", *, x: str | None = None, y: str | None = None, ax=None, **at):
        """Map of ``name`` over two axes (default: the two innermost extended axes)."""
        from . import panels

        return panels.plot_map(self.cut(**at), name, x=x, y=y, ax=ax)

    def plot_line(self, names: str | Sequence[str] = ("I_F", "I_B"), *, axis: str | None = None, ax=None, **at):
        """Lines of ``names`` along ``axis`` (default: the innermost extended axis)."""
        from . import panels

        cut = self.cut(**at)
        if axis is None:
            extended = cut.diode.extended_axes
            if not extended:
                raise ValueError("nothing to plot: no axis with more than one value")
            axis = extended[-1]
        return panels.plot_line(cut.diode.line(axis), [names] if isinstance(names, str) else list(names),
                                axis=axis, ax=ax)

    def figure(self, kind: str = "auto", **options):
        """The standard panel set for this file (see :func:`panels.figure`)."""
        from . import panels

        return panels.figure(self._ds, kind=kind, **options)
