"""Numerics on loaded scans: derivatives along an axis, sub-grid extrema, and
reference currents from ``diodescan point --reference`` along a line.

* :func:`derivative` — dX/d(axis) by finite differences on the (possibly
  non-uniform) grid: the second-order three-point formula, central inside and
  one-sided at both ends (``numpy.gradient`` with ``edge_order=2``); exact for
  quadratics, error O(h²). NaN neighbours give NaN.
* :func:`find_extremum` — the maximum (or minimum) of a gridded field with
  its position refined below the grid step by a least-squares quadratic
  through the 3 × 3 × … neighbourhood of the best grid point (exact for a
  quadratic surface; one-axis parabola, or the grid point, at the edges).
* :func:`ridge` — the refined maximum along one axis, for every value of the
  other axes (e.g. the Γ of largest I at each asymmetry, paper Fig. 2(e)).
* :func:`point_reference` — solve points of a line with the binary's
  ``point --reference --json`` (I, J, R and I_lin, J_lin, I_eqT, J_eqT);
  the fallback when a scan file has no ``[output] extras``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import xarray as xr

__all__ = ["derivative", "Extremum", "find_extremum", "ridge", "find_binary", "point_reference",
           "DERIVATIVE_STENCIL"]

DERIVATIVE_STENCIL = ("second-order three-point finite differences on the grid: central inside, "
                      "one-sided at the ends (numpy.gradient, edge_order=2)")


def derivative(values: xr.DataArray, axis: str) -> xr.DataArray:
    """d values / d axis by second-order finite differences (see :data:`DERIVATIVE_STENCIL`).

    Needs at least 3 points along ``axis``; works on non-uniform grids.
    """
    coordinate = np.asarray(values[axis].values, dtype=float)
    if coordinate.size < 3:
        raise ValueError(f"a derivative along {axis} needs at least 3 points, the data has {coordinate.size}")
    position = values.dims.index(axis)
    result = np.gradient(np.asarray(values.values, dtype=float), coordinate, axis=position, edge_order=2)
    name = values.name or "X"
    return values.copy(data=result).rename(f"d{name}_d{axis}").assign_attrs(
        long_name=f"d{name}/d{axis}", stencil=DERIVATIVE_STENCIL)


@dataclass(frozen=True)
class Extremum:
    """An extremum of a gridded field: refined value and position, and the grid point."""

    value: float
    position: Mapping[str, float]
    grid_value: float
    grid_position: Mapping[str, float]
    refined_axes: tuple[str, ...] = field(default_factory=tuple)
    #: Axes along which the best grid point is the first or last value: the
    #: extremum may lie outside the grid.
    edge_axes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self, name: str = "X", kind: str = "maximum") -> str:
        where = ", ".join(f"{k} = {v:.4g}" for k, v in self.position.items())
        grid = ", ".join(f"{k} = {v:.4g}" for k, v in self.grid_position.items())
        refined = (f" (sub-grid, quadratic fit along {', '.join(self.refined_axes)}; grid point {grid}: "
                   f"{self.grid_value:.6g})" if self.refined_axes else " (grid point, not refined)")
        edge = (f"; at the edge of the grid in {', '.join(self.edge_axes)}: the {kind} may lie outside"
                if self.edge_axes else "")
        return f"{kind} of {name} = {self.value:.6g} at {where}{refined}{edge}"


def _parabola_vertex(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """Vertex of the parabola through three points (None if they are collinear)."""
    coefficients = np.polyfit(x - x[1], y, 2)
    a, b, c = coefficients
    if a == 0 or not np.isfinite(a):
        return None
    offset = -b / (2 * a)
    return float(x[1] + offset), float(c - b * b / (4 * a))


def find_extremum(values: xr.DataArray, *, kind: str = "max") -> Extremum:
    """The maximum (``kind="max"``) or minimum of ``values`` over all its dims, sub-grid refined.

    The best finite grid point is found; along every dim where it has a
    neighbour on both sides (and the dim has a coordinate), a full quadratic
    in those dims is fitted by least squares to the 3^n neighbourhood and its
    stationary point taken if it is an extremum of the right kind lying within
    one grid step; otherwise a parabola along each such dim separately. NaN
    neighbours exclude their dim from the refinement.
    """
    if kind not in ("max", "min"):
        raise ValueError("kind must be 'max' or 'min'")
    sign = 1.0 if kind == "max" else -1.0
    data = sign * np.asarray(values.values, dtype=float)
    if not np.isfinite(data).any():
        raise ValueError(f"{values.name}: no finite value to find an extremum of")
    flat = int(np.nanargmax(np.where(np.isfinite(data), data, -np.inf)))
    index = np.unravel_index(flat, data.shape)
    dims = [str(d) for d in values.dims]
    coordinates = {d: np.asarray(values[d].values, dtype=float) for d in dims}
    grid_position = {d: float(coordinates[d][i]) for d, i in zip(dims, index)}
    best = float(data[index])

    axes = []
    edges = tuple(d for position, d in enumerate(dims)
                  if data.shape[position] > 1 and index[position] in (0, data.shape[position] - 1))
    for position, d in enumerate(dims):
        i, n = index[position], data.shape[position]
        if 0 < i < n - 1:
            around = list(index)
            triple = []
            for j in (i - 1, i, i + 1):
                around[position] = j
                triple.append(data[tuple(around)])
            if np.all(np.isfinite(triple)):
                axes.append(position)

    refined = dict(grid_position)
    value = best
    if axes:
        result = _quadratic_fit(data, index, axes, coordinates, dims)
        if result is None:  # separable fallback: a parabola along each axis
            for position in axes:
                d = dims[position]
                around = list(index)
                ys = []
                for j in (index[position] - 1, index[position], index[position] + 1):
                    around[position] = j
                    ys.append(data[tuple(around)])
                xs = coordinates[d][index[position] - 1:index[position] + 2]
                vertex = _parabola_vertex(xs, np.array(ys))
                if vertex is not None and xs[0] <= vertex[0] <= xs[2]:
                    refined[d] = vertex[0]
                    value = max(value, vertex[1])
        else:
            shift, value = result
            for position, x in zip(axes, shift):
                refined[dims[position]] = x
    return Extremum(value=sign * value, position=refined, grid_value=sign * best,
                    grid_position=grid_position, refined_axes=tuple(dims[p] for p in axes), edge_axes=edges)


def _quadratic_fit(data, index, axes, coordinates, dims):
    """Least-squares quadratic on the 3^n block around ``index``; (vertex, value) or None."""
    n = len(axes)
    offsets = np.array(np.meshgrid(*[[-1, 0, 1]] * n, indexing="ij")).reshape(n, -1).T
    points, targets = [], []
    for offset in offsets:
        at = list(index)
        for position, o in zip(axes, offset):
            at[position] += o
        y = data[tuple(at)]
        if not np.isfinite(y):
            return None
        points.append([coordinates[dims[p]][at[p]] - coordinates[dims[p]][index[p]] for p in axes])
        targets.append(y)
    points = np.array(points)
    scale = np.max(np.abs(points), axis=0)
    scale[scale == 0] = 1.0
    u = points / scale
    columns = [np.ones(len(u))] + [u[:, k] for k in range(n)]
    pairs = [(k, m) for k in range(n) for m in range(k, n)]
    columns += [u[:, k] * u[:, m] for k, m in pairs]
    design = np.array(columns).T
    coefficients, *_ = np.linalg.lstsq(design, np.array(targets), rcond=None)
    c0, gradient = coefficients[0], coefficients[1:1 + n]
    hessian = np.zeros((n, n))
    for (k, m), c in zip(pairs, coefficients[1 + n:]):
        if k == m:
            hessian[k, k] = 2 * c
        else:
            hessian[k, m] = hessian[m, k] = c
    if not np.all(np.linalg.eigvalsh(hessian) < 0):
        return None
    vertex = np.linalg.solve(hessian, -gradient)
    if np.any(np.abs(vertex) > 1.0 + 1e-12):
        return None
    value = float(c0 + gradient @ vertex + 0.5 * vertex @ hessian @ vertex)
    origin = [coordinates[dims[p]][index[p]] for p in axes]
    return [float(o + v * s) for o, v, s in zip(origin, vertex, scale)], value


def ridge(values: xr.DataArray, along: str, *, kind: str = "max") -> xr.Dataset:
    """For every point of the other dims, the extremum along ``along`` (refined by a parabola).

    Returns a Dataset over the other dims with ``position`` (the refined
    coordinate of ``along``) and ``value``.
    """
    others = [d for d in values.dims if d != along]
    stacked = values.transpose(*others, along)
    shape = stacked.shape[:-1]
    positions = np.full(shape, np.nan)
    extrema = np.full(shape, np.nan)
    for idx in np.ndindex(*shape):
        line = stacked[idx]
        if not np.isfinite(line.values).any():
            continue
        found = find_extremum(line, kind=kind)
        positions[idx] = found.position[along]
        extrema[idx] = found.value
    coords = {d: values[d] for d in others}
    return xr.Dataset({"position": (others, positions, {"long_name": f"{along} of the {kind}imum"}),
                       "value": (others, extrema)}, coords=coords)


# --- reference currents from the binary ----------------------------------------


def find_binary() -> Path | None:
    """The diodescan executable: ``$DIODESCAN_BIN``, the repository's release build, or PATH."""
    explicit = os.environ.get("DIODESCAN_BIN")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    repository = Path(__file__).resolve().parents[2]
    for candidate in (repository / ".build" / "release" / "diodescan",
                      repository / ".build" / "debug" / "diodescan"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("diodescan")
    return Path(found) if found else None


_POINT_FLAGS = ("eps1", "eps3", "mu", "lambda", "d", "dT", "c12", "c13", "c23", "c1g", "c2g", "c3g")


def _point_arguments(parameters: Mapping[str, float], screening: bool) -> list[str]:
    values = dict(parameters)
    if "eps1" not in values and {"detuning", "asymmetry", "mu"} <= values.keys():
        values["eps1"] = values["mu"] + values["detuning"] + values["asymmetry"]
        values["eps3"] = values["mu"] + values["detuning"] - values["asymmetry"]
    arguments = []
    for key in _POINT_FLAGS:
        if key in values:
            arguments += [f"--{key}", repr(float(values[key]))]
    if "gamma1" in values and "gamma3" in values and values["gamma1"] != values["gamma3"]:
        arguments += ["--gamma1", repr(float(values["gamma1"])), "--gamma3", repr(float(values["gamma3"]))]
    elif "gamma" in values or "gamma1" in values:
        arguments += ["--gamma", repr(float(values.get("gamma", values.get("gamma1"))))]
    if screening:
        arguments.append("--screening")
    return arguments


def point_reference(
    parameters: Mapping[str, float],
    axis: str,
    values: Sequence[float],
    *,
    screening: bool = False,
    binary: str | os.PathLike[str] | None = None,
    workers: int = 2,
) -> xr.Dataset:
    """Solve ``diodescan point --reference --json`` at each value of ``axis``.

    ``parameters`` are the fixed model parameters (keys as in a job's
    ``[model]``: eps1, eps3, gamma or gamma1/gamma3, mu, lambda, d, dT, c…;
    detuning/asymmetry are turned into eps1/eps3). Returns a Dataset over
    ``axis`` with I_F, I_B, J_F, J_B, R_I, R_J, I_lin_F/B, J_lin_F/B,
    I_eqT_F/B, J_eqT_F/B and status_F/B (0 converged, 3 multiple solutions,
    1 not converged); NaN where the binary gave null. ~0.1 s per point.
    """
    executable = Path(binary) if binary is not None else find_binary()
    if executable is None:
        raise FileNotFoundError("no diodescan binary (set DIODESCAN_BIN or run `swift build -c release`)")
    grid = np.asarray(values, dtype=float)

    def solve(value: float) -> dict:
        point = dict(parameters)
        point[axis] = float(value)
        command = [str(executable), "point", *_point_arguments(point, screening), "--reference", "--json"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
        return json.loads(result.stdout)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = list(pool.map(solve, grid))

    def number(value) -> float:
        return float("nan") if value is None else float(value)

    data: dict[str, tuple] = {}
    status_code = {"converged": 0, "not_converged": 1, "non_finite": 2}
    for suffix, key in (("F", "forward"), ("B", "backward")):
        for name in ("I", "J", "I_lin", "J_lin", "I_eqT", "J_eqT"):
            data[f"{name}_{suffix}"] = (axis, np.array([number(a[key].get(name)) for a in answers]))
        codes = []
        for a in answers:
            code = status_code.get(a[key].get("status"), 1)
            codes.append(3 if code == 0 and a[key].get("multiple_solutions") else code)
        data[f"status_{suffix}"] = (axis, np.array(codes, np.int32))
    for name in ("R_I", "R_J"):
        data[name] = (axis, np.array([number(a.get(name)) for a in answers]))
    for name in ("I_F", "I_B", "J_F", "J_B", "R_I", "R_J"):
        ok = np.isin(data["status_F"][1], (0, 3)) if name.endswith("_F") else (
            np.isin(data["status_B"][1], (0, 3)) if name.endswith("_B") else
            np.isin(data["status_F"][1], (0, 3)) & np.isin(data["status_B"][1], (0, 3)))
        data[name] = (axis, np.where(ok, data[name][1], np.nan))
    return xr.Dataset(data, coords={axis: grid}, attrs={"source": f"{executable} point --reference --json"})
