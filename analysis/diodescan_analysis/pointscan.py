"""A slow, independent scan by ``diodescan point --reference --json`` per point.

``python -m diodescan_analysis points JOB.toml --output FILE.h5`` evaluates the
job's grid point by point (no continuation between points, no tiles) and
writes a result file in the N-dimensional convention of ``diodescan scan``
(axes as dimension scales, innermost first in ``[grid]``, reversed as dims;
fixed parameters as root attributes; the extras ``I_lin_*``, ``J_lin_*``,
``I_eqT_*``, ``J_eqT_*`` always). Each axis can be thinned to at most
``max_per_axis`` evenly spread values (the ends kept). ~0.1 s per point.

It is the fallback of ``scripts/paper.sh`` for jobs the scan binary does not
accept yet (general axes, fixed eps1/eps3/dT, extras), and a cross-check of
``scan`` files (every point solved cold, independently).
"""

from __future__ import annotations

import itertools
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np

from .loader import PARAMETER_KEYS
from .numerics import find_binary, point_reference

__all__ = ["job_grid", "point_scan"]

_FIELDS = ("I_F", "I_B", "J_F", "J_B", "R_I", "R_J",
           "I_lin_F", "I_lin_B", "J_lin_F", "J_lin_B", "I_eqT_F", "I_eqT_B", "J_eqT_F", "J_eqT_B")


def _axis_values(key: str, spec: Any) -> np.ndarray:
    if isinstance(spec, list):
        return np.asarray(spec, dtype=float)
    if isinstance(spec, dict) and {"from", "to", "count"} <= spec.keys():
        return np.linspace(float(spec["from"]), float(spec["to"]), int(spec["count"]))
    raise ValueError(f"grid.{key}: expected a list or {{ from, to, count }}")


def job_grid(job: Mapping[str, Any], max_per_axis: int | None = None):
    """(axes innermost first as {name: values}, fixed {name: value}, screening) of a parsed job."""
    model = dict(job.get("model", {}))
    screening = bool(model.pop("screening", False))
    capacitances = model.pop("capacitances", {}) or {}
    fixed = {k: float(v) for k, v in {**model, **capacitances}.items()}
    unknown = [k for k in fixed if k not in PARAMETER_KEYS]
    if unknown:
        raise ValueError(f"unknown [model] keys: {', '.join(unknown)}")
    axes = {}
    for key, spec in job.get("grid", {}).items():
        if key not in PARAMETER_KEYS:
            raise ValueError(f"unknown [grid] axis {key!r}")
        values = _axis_values(key, spec)
        if max_per_axis is not None and len(values) > max_per_axis:
            values = values[np.unique(np.round(np.linspace(0, len(values) - 1, max_per_axis)).astype(int))]
        axes[key] = values
    if "gamma" in fixed:
        fixed.setdefault("gamma1", fixed["gamma"])
        fixed.setdefault("gamma3", fixed["gamma"])
    return axes, fixed, screening


def point_scan(job_path: str | os.PathLike[str], output: str | os.PathLike[str], *,
               max_per_axis: int | None = None, binary=None, workers: int = 2, log=None) -> Path:
    """Evaluate the job's grid with ``diodescan point`` and write ``output`` (see module doc)."""
    text = Path(job_path).read_text()
    job = tomllib.loads(text)
    axes, fixed, screening = job_grid(job, max_per_axis)
    if not axes:
        raise ValueError("the job has no [grid] axis")
    executable = binary or find_binary()
    if executable is None:
        raise FileNotFoundError("no diodescan binary (set DIODESCAN_BIN or run `swift build -c release`)")
    names = list(axes)                      # innermost first
    inner, outer = names[0], names[1:]
    dims = names[::-1]                      # outermost first
    shape = tuple(len(axes[n]) for n in dims)
    data = {name: np.full(shape, np.nan) for name in _FIELDS}
    status = {s: np.full(shape, -1, np.int32) for s in "FB"}
    outer_values = [axes[n] for n in outer[::-1]]  # in dims order (outermost first)
    combinations = list(itertools.product(*[range(len(v)) for v in outer_values])) or [()]
    for count, index in enumerate(combinations, 1):
        point = {k: v for k, v in fixed.items() if k not in ("gamma1", "gamma3") or "gamma" not in axes}
        for name, i in zip(outer[::-1], index):
            point[name] = float(axes[name][i])
        if "gamma" in axes:
            point.pop("gamma1", None)
            point.pop("gamma3", None)
        line = point_reference(point, inner, axes[inner], screening=screening, binary=executable,
                               workers=workers)
        for name in _FIELDS:
            data[name][index] = line[name].values
        for s in "FB":
            status[s][index] = line[f"status_{s}"].values
        if log is not None and (count % 10 == 0 or count == len(combinations)):
            print(f"points: {count}/{len(combinations)} lines", file=log, flush=True)

    units = {"I": "k_B T / h", "J": "(k_B T)^2 / h", "R": "1"}
    with h5py.File(output, "w") as f:
        scales = {}
        for name in dims:
            scale = f.create_dataset(name, data=axes[name])
            scale.make_scale(name)
            scale.attrs["units"], scale.attrs["long_name"] = PARAMETER_KEYS[name]
            scales[name] = scale

        def create(name, values, long_name, unit):
            dataset = f.create_dataset(name, data=values)
            for position, dim in enumerate(dims):
                dataset.dims[position].attach_scale(scales[dim])
            dataset.attrs["units"] = unit
            dataset.attrs["long_name"] = long_name

        for name in _FIELDS:
            create(name, data[name], name, units[name[0]])
        for s in "FB":
            create(f"status_{s}", status[s], "solver status", "1")
        tile = np.ones(shape[:-1], np.uint8)
        dataset = f.create_dataset("tile_done", data=tile)
        for position, dim in enumerate(dims[:-1]):
            dataset.dims[position].attach_scale(scales[dim])
        for key, value in fixed.items():
            if key not in axes and not (key in ("gamma1", "gamma3") and "gamma" in axes):
                f.attrs[key] = value
        f.attrs["screening"] = np.int64(screening)
        f.attrs["job_text"] = text
        f.attrs["title"] = str(job.get("title", ""))
        f.attrs["source"] = f"diodescan_analysis points: {executable} point --reference --json per point"
        f.attrs["history"] = (f"python -m diodescan_analysis points {job_path}"
                              + (f" --max-per-axis {max_per_axis}" if max_per_axis else ""))
    return Path(output)
