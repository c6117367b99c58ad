"""Reading diodescan result files into :class:`xarray.Dataset` objects.

A diodescan result file (see ``docs/ARCHITECTURE.md``) holds, for every grid
point of its axes (``(dT, eps3, eps1)`` for the paper's jobs; any parameters
of the model with general axes, docs/jobs.md), the forward (F) and backward (B)
particle and heat currents, the rectification coefficients

    R_X = (X^F + X^B) / (|X^F| + |X^B|),     X = I, J,

the probe state (mu_p, T_p), the region potentials ``U`` (trailing axis
``region``) and a status code per configuration:

    -1 not computed, 0 converged, 1 not converged, 2 non-finite,
    3 converged, and a second self-consistent solution was found (the values
      are those of the equilibrium branch, docs/physics.md §9.8).

:func:`load` returns the data with labelled coordinates, every root attribute
(model and solver parameters, provenance) in ``Dataset.attrs``, and values at
points whose status is neither 0 nor 3 replaced by NaN, so that a
non-converged point can never be mistaken for a number.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import h5py
import numpy as np
import xarray as xr

__all__ = [
    "STATUS_CODES",
    "ModelParameters",
    "job_title",
    "load",
    "model_parameters",
]

#: Meaning of the values of ``status_F`` and ``status_B``.
STATUS_CODES: dict[int, str] = {
    -1: "not computed",
    0: "converged",
    1: "not converged",
    2: "non-finite",
    3: "converged, multiple solutions",
}

#: Status codes whose values are valid (converged).
_VALID_STATUS = (0, 3)

#: Documented dimensions of every dataset, used when a file lacks dimension
#: scales (the normal files always have them).
_POINT_DIMS = ("dT", "eps3", "eps1")
_TILE_DIMS = ("dT", "eps3")
_COORDINATE_NAMES = ("dT", "eps3", "eps1", "region")

#: HDF5 bookkeeping attributes of dimension scales; never useful to a reader.
_HDF5_INTERNAL_ATTRS = frozenset(
    {"CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_FillValue", "_Netcdf4Dimid"}
)


@dataclass(frozen=True)
class ModelParameters:
    """The model parameters of a scan (energies in k_B T, temperatures in T)."""

    mu: float
    gamma1: float
    gamma3: float
    lambda_: float
    d: float
    screening: bool

    @property
    def label(self) -> str:
        """A short human description, e.g. for figure titles."""
        gamma = (
            f"Γ = {self.gamma1:g}"
            if self.gamma1 == self.gamma3
            else f"Γ1 = {self.gamma1:g}, Γ3 = {self.gamma3:g}"
        )
        screening = "screening" if self.screening else "no screening"
        return f"λ = {self.lambda_:g}, {screening}, {gamma}, μ = {self.mu:g}, d = {self.d:g}"


def load(
    path: str | os.PathLike[str],
    *,
    mask: bool = True,
    dT: float | Sequence[float] | None = None,
) -> xr.Dataset:
    """Load a diodescan result file.

    Parameters
    ----------
    path:
        The HDF5 file written by ``diodescan scan``. Files of a scan that is
        still running (or was interrupted) load too: points not yet computed
        have status -1 and NaN values.
    mask:
        Replace values at points whose status is not 0 or 3 (converged) by
        NaN. ``R_I`` and ``R_J`` need both configurations, so they are masked
        where either is not converged. Integer datasets (status, iterations)
        are never masked.
    dT:
        Read only the ΔT values of the file nearest to this value (or to each
        of these values); the ``dT`` dimension is kept. Saves memory on files
        with a long ΔT axis. Default: every ΔT.

    Returns
    -------
    xarray.Dataset
        Dimensions ``dT``, ``eps3``, ``eps1`` (and ``region`` for ``U_F``,
        ``U_B``), with the derived coordinates ``x1 = eps1 - mu`` and
        ``x3 = eps3 - mu``; boolean data variables ``converged_F``,
        ``converged_B`` and ``converged`` (both; status 0 or 3) and
        ``multiple_solutions_F``, ``multiple_solutions_B`` (status 3: a
        second self-consistent solution was found); every root attribute in
        ``attrs``. Values are read into memory; the file is closed on return.
    """
    with _open(path) as handle:
        selection = _dT_indices(handle, dT)
        variables: dict[str, xr.Variable] = {}
        coordinates: dict[str, xr.Variable] = {}
        for name, node in handle.items():
            if not isinstance(node, h5py.Dataset):
                continue
            dimensions = _dimensions(name, node)
            if selection is not None and "dT" in dimensions:
                # dT may be any axis of a scan with general axes (docs/jobs.md).
                axis = dimensions.index("dT")
                values = node[(slice(None),) * axis + (selection,)]
            else:
                values = node[()]
            variable = xr.Variable(dimensions, values, attrs=_attributes(node.attrs))
            if name in _COORDINATE_NAMES or node.attrs.get("CLASS") == b"DIMENSION_SCALE":
                coordinates[name] = variable
            else:
                variables[name] = variable
        root_attrs = _attributes(handle.attrs)

    dataset = xr.Dataset(variables, coords=coordinates, attrs=root_attrs)
    dataset.attrs.setdefault("source_file", os.fspath(path))
    dataset = _fill_unfinished_tiles(dataset)
    dataset = _add_status_masks(dataset, mask=mask)

    # x1, x3 where eps1, eps3 are axes and mu is one number (a scan with
    # general axes may have neither, e.g. detuning and asymmetry, or a mu axis).
    if "mu" in dataset.dims:
        return dataset
    parameters = model_parameters(dataset)
    for derived, axis, long_name in (("x1", "eps1", "ε1 − μ"), ("x3", "eps3", "ε3 − μ")):
        if axis in dataset.dims:
            dataset = dataset.assign_coords(
                {derived: (axis, dataset[axis].values - parameters.mu, {"long_name": long_name, "units": "k_B T"})}
            )
    return dataset


def model_parameters(dataset: xr.Dataset | Mapping[str, Any]) -> ModelParameters:
    """The model parameters of a loaded file (or of a mapping of root attributes).

    They are looked up among the root attributes (plain names such as ``mu``,
    ``lambda``, ``gamma1``, or the same prefixed by ``model.``/``model_``), and
    otherwise in the job file's text stored on the root group. Raises
    ``ValueError`` naming the parameter if the file has neither.
    """
    attrs = dataset.attrs if isinstance(dataset, xr.Dataset) else dataset
    flat = {_normalise_key(key): value for key, value in attrs.items()}
    job = _job_model_table(attrs)

    def lookup(*names: str) -> Any:
        for name in names:
            if name in flat:
                return flat[name]
        for name in names:
            if name in job:
                return job[name]
        return None

    mu = lookup("mu")
    if mu is None:
        raise ValueError(
            "the file has no chemical potential: expected a root attribute 'mu' "
            "(or the job text with [model] mu)"
        )
    gamma = lookup("gamma")
    gamma1 = lookup("gamma1")
    gamma3 = lookup("gamma3")
    gamma1 = gamma if gamma1 is None else gamma1
    gamma3 = gamma if gamma3 is None else gamma3
    lam = lookup("lambda", "lambda_", "lam")
    d = lookup("d", "length")
    screening = lookup("screening")
    return ModelParameters(
        mu=float(mu),
        gamma1=float("nan") if gamma1 is None else float(gamma1),
        gamma3=float("nan") if gamma3 is None else float(gamma3),
        lambda_=0.0 if lam is None else float(lam),  # the default of ModelParameter (diodescan)
        d=1.0 if d is None else float(d),  # the default of ModelParameter (diodescan)
        screening=_as_bool(screening) if screening is not None else False,
    )


def job_title(dataset: xr.Dataset | Mapping[str, Any]) -> str | None:
    """The ``title`` of the job file stored in the result file, if it has one."""
    attrs = dataset.attrs if isinstance(dataset, xr.Dataset) else dataset
    title = _job_document(attrs).get("title")
    return title if isinstance(title, str) and title else None


# --- internals ---------------------------------------------------------------


def _open(path: str | os.PathLike[str]) -> h5py.File:
    """Open for reading, also while a scan still holds the file open.

    A running diodescan keeps its file open for writing, and HDF5's file lock
    then refuses ordinary readers. The scanning-stage file never changes its
    metadata (values are overwritten in place, each batch of tiles flushed
    before its ``tile_done`` flags become 1), so reading it without the lock
    is safe: tiles flagged 1 read complete; ``load`` gives every other tile
    fill values (flag 3: never written, the storage still zeros; 2: a batch
    being written). A writer in SWMR mode is read with ``swmr=True`` instead.
    """
    try:
        return h5py.File(path, "r")
    except OSError as plain_error:
        for options in ({"swmr": True}, {"locking": False}):
            try:
                return h5py.File(path, "r", **options)
            except (OSError, TypeError, ValueError):
                continue
        raise plain_error from None


def _dT_indices(handle: h5py.File, dT: float | Sequence[float] | None) -> list[int] | None:
    """Sorted, distinct indices of the file's ΔT values nearest to ``dT``."""
    if dT is None:
        return None
    if "dT" not in handle:
        raise ValueError("the file has no dT coordinate to select from")
    axis = np.atleast_1d(handle["dT"][()])
    wanted = np.atleast_1d(np.asarray(dT, dtype=float))
    if wanted.size == 0:
        raise ValueError("dT selection is empty")
    return sorted({int(np.argmin(np.abs(axis - value))) for value in wanted})


def _dimensions(name: str, node: h5py.Dataset) -> tuple[str, ...]:
    """The dimension names of a dataset, from its attached dimension scales."""
    names: list[str] = []
    for axis, dimension in enumerate(node.dims):
        scale_name = None
        try:
            if len(dimension) > 0:
                scale_name = dimension[0].name.rsplit("/", 1)[-1]
        except (RuntimeError, KeyError, ValueError):
            scale_name = None
        if not scale_name:
            label = dimension.label
            scale_name = label if label else None
        if not scale_name:
            scale_name = _documented_dimension(name, node.ndim, axis)
        names.append(scale_name)
    if node.attrs.get("CLASS") == b"DIMENSION_SCALE" and node.ndim == 1:
        return (name,)
    return tuple(names)


def _documented_dimension(name: str, ndim: int, axis: int) -> str:
    if name in _COORDINATE_NAMES and ndim == 1:
        return name
    if name == "tile_done" and ndim == 2:
        return _TILE_DIMS[axis]
    if ndim == 3:
        return _POINT_DIMS[axis]
    if ndim == 4:
        return (*_POINT_DIMS, "region")[axis]
    return f"{name}_dim_{axis}"


def _attributes(attrs: h5py.AttributeManager) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key in attrs.keys():
        if key in _HDF5_INTERNAL_ATTRS:
            continue
        try:
            value = attrs[key]
        except (OSError, TypeError):  # a type h5py cannot read; not ours to judge
            continue
        decoded[key] = _python_value(value)
    return decoded


def _python_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SOU":
            return [_python_value(item) for item in value.ravel()]
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fill_unfinished_tiles(dataset: xr.Dataset) -> xr.Dataset:
    """Fill values (NaN, status and iterations -1) wherever ``tile_done`` is not 1.

    A finished file already holds them there. A file still being scanned
    (or killed) may hold zeros in tiles never written (flag 3) and partial
    values in a batch being written (flag 2).
    """
    if "tile_done" not in dataset:
        return dataset
    done = dataset["tile_done"] == 1
    if bool(done.all()):
        return dataset
    # The grid's axes are the dimensions of I_F (any number, any names).
    point_dims = dataset["I_F"].dims if "I_F" in dataset else _POINT_DIMS
    for name in list(dataset.data_vars):
        variable = dataset[name]
        if name == "tile_done" or variable.dims[: len(point_dims)] != point_dims:
            continue
        fill = np.nan if variable.dtype.kind == "f" else -1
        dataset[name] = variable.where(done, fill).astype(variable.dtype)
        dataset[name].attrs = variable.attrs
    return dataset


def _add_status_masks(dataset: xr.Dataset, *, mask: bool) -> xr.Dataset:
    statuses = {suffix: dataset.get(f"status_{suffix}") for suffix in ("F", "B")}
    if any(status is None for status in statuses.values()):
        return dataset
    converged = {suffix: status.isin(_VALID_STATUS) for suffix, status in statuses.items()}
    both = converged["F"] & converged["B"]
    if mask:
        for name in list(dataset.data_vars):
            variable = dataset[name]
            if variable.dtype.kind != "f":
                continue
            if name.endswith("_F"):
                keep = converged["F"]
            elif name.endswith("_B"):
                keep = converged["B"]
            elif name in ("R_I", "R_J"):
                keep = both
            else:
                continue
            dataset[name] = variable.where(keep)
            dataset[name].attrs = variable.attrs
    for name, keep, which in (
        ("converged_F", converged["F"], "forward configuration"),
        ("converged_B", converged["B"], "backward configuration"),
        ("converged", both, "both configurations"),
    ):
        dataset[name] = keep.assign_attrs(long_name=f"{which} converged (status 0 or 3)", units="1")
    for suffix, which in (("F", "forward configuration"), ("B", "backward configuration")):
        dataset[f"multiple_solutions_{suffix}"] = (statuses[suffix] == 3).assign_attrs(
            long_name=f"{which}: a second self-consistent solution was found (status 3)", units="1"
        )
    return dataset


def _normalise_key(key: str) -> str:
    lowered = key.lower()
    for prefix in ("model.", "model_", "model/", "parameters.", "parameters/"):
        if lowered.startswith(prefix):
            return lowered[len(prefix):]
    return lowered


_JOB_TEXT_ATTRIBUTES = ("job_text", "job", "job_toml", "job_file")


def _job_document(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The job file's text stored on the root group, parsed (empty if absent)."""
    for key in _JOB_TEXT_ATTRIBUTES:
        text = attrs.get(key)
        if isinstance(text, str):
            try:
                return tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
    return {}


def _job_model_table(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[model]`` table of the stored job text, keys normalised."""
    model = _job_document(attrs).get("model", {})
    if not isinstance(model, dict):
        return {}
    return {_normalise_key(key): value for key, value in model.items()}


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0", ""):
            return False
        raise ValueError(f"screening attribute {value!r} is not a boolean")
    return bool(value)
