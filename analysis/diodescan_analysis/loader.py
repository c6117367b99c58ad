"""Reading diodescan result files into :class:`xarray.Dataset` objects.

A diodescan result file (see ``docs/ARCHITECTURE.md``) holds, for every grid
point of the axes ``(dT, eps3, eps1)``, the forward (F) and backward (B)
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
    "PARAMETER_KEYS",
    "RESULT_FIELDS",
    "ModelParameters",
    "ScanParameters",
    "job_title",
    "load",
    "model_parameters",
    "scan_axes",
    "scan_parameters",
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

#: Every model parameter that may be a scan axis (``[grid]`` key) or fixed in
#: ``[model]`` (a root attribute of that name), with its units and meaning.
PARAMETER_KEYS: dict[str, tuple[str, str]] = {
    "eps1": ("k_B T", "resonance energy ε1"),
    "eps3": ("k_B T", "resonance energy ε3"),
    "dT": ("T", "temperature increase ΔT"),
    "gamma": ("k_B T", "width Γ = Γ1 = Γ3"),
    "gamma1": ("k_B T", "width Γ1"),
    "gamma3": ("k_B T", "width Γ3"),
    "lambda": ("1", "probe strength λ"),
    "d": ("ħ/sqrt(2 m k_B T)", "length d of region 2"),
    "mu": ("k_B T", "chemical potential μ"),
    "c12": ("e^2/k_B T", "capacitance C12"),
    "c13": ("e^2/k_B T", "capacitance C13"),
    "c23": ("e^2/k_B T", "capacitance C23"),
    "c1g": ("e^2/k_B T", "capacitance C1g"),
    "c2g": ("e^2/k_B T", "capacitance C2g"),
    "c3g": ("e^2/k_B T", "capacitance C3g"),
    "detuning": ("k_B T", "detuning (ε1 + ε3)/2 − μ"),
    "asymmetry": ("k_B T", "asymmetry (ε1 − ε3)/2"),
}

#: The per-point result datasets of a scan file (``U_*`` with a trailing ``region``).
RESULT_FIELDS = ("I_F", "I_B", "J_F", "J_B", "R_I", "R_J", "mu_p_F", "mu_p_B",
                 "T_p_F", "T_p_B", "U_F", "U_B", "status_F", "status_B",
                 "iterations_F", "iterations_B")

#: Optional per-point reference currents (``[output] extras``), per configuration.
EXTRA_FIELDS = ("I_lin", "J_lin", "I_eqT", "J_eqT")

#: Documented dimensions of every dataset of a 3-axis file, used when a file
#: lacks dimension scales (the normal files always have them).
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


@dataclass(frozen=True)
class ScanParameters:
    """What a result file was computed for: its scan axes and fixed parameters.

    ``axes`` are the scan axes in the order of the result datasets' dimensions
    (outermost first; the ``[grid]`` keys reversed). ``fixed`` maps every
    model parameter that is not an axis to its value (root attributes of the
    file, else the stored job's ``[model]``, else MODEL.md's default), also a
    fixed ``eps1``/``eps3``/``dT``/``detuning``/``asymmetry``. ``gamma`` is
    in ``fixed`` when Γ1 = Γ3 are fixed and equal.
    """

    axes: tuple[str, ...]
    fixed: Mapping[str, float]
    screening: bool

    def is_axis(self, name: str) -> bool:
        return name in self.axes

    def get(self, name: str, default: float | None = None) -> float | None:
        """The fixed value of ``name`` (None, or ``default``, if it is an axis or unknown)."""
        return self.fixed.get(name, default)

    @property
    def mu(self) -> float | None:
        return self.fixed.get("mu")

    def model(self) -> ModelParameters:
        """The classic :class:`ModelParameters` (NaN for a parameter that is an axis)."""
        nan = float("nan")
        return ModelParameters(
            mu=self.fixed.get("mu", nan), gamma1=self.fixed.get("gamma1", nan),
            gamma3=self.fixed.get("gamma3", nan), lambda_=self.fixed.get("lambda", nan),
            d=self.fixed.get("d", nan), screening=self.screening,
        )

    @property
    def label(self) -> str:
        """A short description of the fixed parameters and the axes, for titles."""
        names = {"lambda": "λ", "gamma": "Γ", "gamma1": "Γ1", "gamma3": "Γ3", "mu": "μ",
                 "dT": "ΔT", "eps1": "ε1", "eps3": "ε3"}
        shown = []
        for key in ("lambda", "gamma", "gamma1", "gamma3", "mu", "d", "eps1", "eps3",
                    "detuning", "asymmetry", "dT"):
            if key in ("gamma1", "gamma3") and "gamma" in self.fixed:
                continue
            if key in self.fixed and key not in self.axes:
                shown.append(f"{names.get(key, key)} = {self.fixed[key]:g}")
        shown.insert(1 if shown else 0, "screening" if self.screening else "no screening")
        caps = [f"{k} = {self.fixed[k]:g}" for k in ("c12", "c13", "c23", "c1g", "c2g", "c3g")
                if self.fixed.get(k, 0.0) != 0.0]
        return ", ".join(shown + caps)


def scan_axes(dataset: xr.Dataset) -> tuple[str, ...]:
    """The scan axes of a loaded file, outermost first (the dims of ``I_F`` but ``region``)."""
    for name in ("I_F", "R_I", "status_F"):
        if name in dataset.variables:
            return tuple(str(d) for d in dataset[name].dims if d != "region")
    return tuple(d for d in _POINT_DIMS if d in dataset.dims)


def scan_parameters(dataset: xr.Dataset | Mapping[str, Any], axes: Sequence[str] | None = None) -> ScanParameters:
    """The axes and the fixed parameters of a loaded file (see :class:`ScanParameters`)."""
    if isinstance(dataset, xr.Dataset):
        attrs = dataset.attrs
        axes = tuple(axes) if axes is not None else scan_axes(dataset)
    else:
        attrs = dataset
        axes = tuple(axes or ())
    flat = {_normalise_key(key): value for key, value in attrs.items()}
    job = _job_model_table(attrs)
    fixed: dict[str, float] = {}
    excluded = set(axes)
    if "gamma" in excluded:
        excluded |= {"gamma1", "gamma3"}
    if {"gamma1", "gamma3"} & excluded:
        excluded.add("gamma")
    for key in PARAMETER_KEYS:
        if key in excluded:
            continue
        lowered = key.lower()
        aliases = (lowered, "lambda_", "lam") if key == "lambda" else (lowered,)
        value = next((flat[a] for a in aliases if a in flat), None)
        if value is None:
            value = next((job[a] for a in aliases if a in job), None)
        if value is None or isinstance(value, (dict, list, str)):
            continue
        try:
            fixed[key] = float(value)
        except (TypeError, ValueError):
            continue
    if "gamma" in fixed:
        for key in ("gamma1", "gamma3"):
            if key not in excluded:
                fixed.setdefault(key, fixed["gamma"])
    elif "gamma1" in fixed and "gamma3" in fixed and fixed["gamma1"] == fixed["gamma3"]:
        fixed["gamma"] = fixed["gamma1"]
    for key, default in (("lambda", 0.0), ("d", 1.0), ("c12", 0.0), ("c13", 0.0), ("c23", 0.0),
                         ("c1g", 0.0), ("c2g", 0.0), ("c3g", 0.0)):  # MODEL.md defaults
        if key not in excluded:
            fixed.setdefault(key, default)
    screening = flat.get("screening", job.get("screening"))
    return ScanParameters(
        axes=tuple(axes), fixed=fixed,
        screening=_as_bool(screening) if screening is not None else False,
    )


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
        and the reference currents (``I_lin_F``, ``I_eqT_B``, …: they do not
        come from the solve the status describes) are never masked.
    dT:
        Read only the ΔT values of the file nearest to this value (or to each
        of these values); the ``dT`` dimension is kept. Saves memory on files
        with a long ΔT axis. Ignored when ΔT is fixed (not an axis). Default:
        every ΔT.

    Returns
    -------
    xarray.Dataset
        The scan axes as dimensions, in the file's order (read from the
        dimension scales of ``I_F``: ``(dT, eps3, eps1)`` for the classic
        maps; ``region`` trails for ``U_F``, ``U_B``), with the derived
        coordinates ``x1 = eps1 - mu`` and ``x3 = eps3 - mu`` where their
        inputs exist (and ``eps1``, ``eps3`` from ``detuning``/``asymmetry``
        axes); boolean data variables ``converged_F``, ``converged_B`` and
        ``converged`` (both; status 0 or 3) and ``multiple_solutions_F``,
        ``multiple_solutions_B`` (status 3); every root attribute in
        ``attrs``, plus ``scan_axes`` (the axes, outermost first). The parsed
        parameters: ``ds.diode.parameters`` (:class:`ScanParameters`). Values
        are read into memory; the file is closed on return.
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
                index = tuple(selection if d == "dT" else slice(None) for d in dimensions)
                values = node[index]
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

    parameters = scan_parameters(dataset)
    dataset.attrs["scan_axes"] = list(parameters.axes)
    if parameters.mu is None and "mu" not in parameters.axes:
        raise ValueError(
            "the file has no chemical potential: expected a root attribute 'mu' "
            "(or the job text with [model] mu, or a mu axis)"
        )
    return _add_derived_coordinates(dataset, parameters)


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
        lambda_=0.0 if lam is None else float(lam),  # MODEL.md default
        d=1.0 if d is None else float(d),  # MODEL.md default
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


def _add_derived_coordinates(dataset: xr.Dataset, parameters: ScanParameters) -> xr.Dataset:
    """``eps1``, ``eps3`` from detuning/asymmetry axes, and ``x1``, ``x3`` (ε − μ).

    Each is added only when its inputs exist (as an axis or a fixed value)
    and at least one input is an axis, over the dims of its axis inputs.
    """

    def source(name: str):
        if name in dataset.coords and dataset[name].ndim >= 1:
            return dataset[name].reset_coords(drop=True)
        return parameters.get(name)

    order = list(dataset.dims)
    derived: dict[str, xr.DataArray] = {}

    def put(name: str, value, long_name: str) -> None:
        if not isinstance(value, xr.DataArray):
            return
        value = value.transpose(*[d for d in order if d in value.dims])
        derived[name] = value.drop_vars(list(value.coords), errors="ignore").assign_attrs(
            long_name=long_name, units="k_B T")

    mu, det, asym = source("mu"), source("detuning"), source("asymmetry")
    if ("eps1" not in dataset.coords and "eps3" not in dataset.coords
            and all(v is not None for v in (mu, det, asym))):
        put("eps1", mu + det + asym, "resonance energy ε1 = μ + detuning + asymmetry")
        put("eps3", mu + det - asym, "resonance energy ε3 = μ + detuning − asymmetry")
    for eps, shifted in (("eps1", "x1"), ("eps3", "x3")):
        value = derived.get(eps, source(eps) if eps in dataset.coords else None)
        if value is not None and mu is not None:
            put(shifted, value - mu, f"{'ε1' if eps == 'eps1' else 'ε3'} − μ")
    if not derived:
        return dataset
    return dataset.assign_coords({name: (value.dims, value.values, value.attrs)
                                  for name, value in derived.items()})


def _dT_indices(handle: h5py.File, dT: float | Sequence[float] | None) -> list[int] | None:
    """Sorted, distinct indices of the file's ΔT values nearest to ``dT``.

    None (read everything) when ΔT is not an axis of the file but a fixed
    root attribute.
    """
    if dT is None:
        return None
    if "dT" not in handle:
        if "dT" in handle.attrs:
            return None
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
    if name in PARAMETER_KEYS and ndim == 1:
        return name
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
    tile_dims = set(done.dims)
    for name in list(dataset.data_vars):
        variable = dataset[name]
        if name == "tile_done" or not tile_dims <= set(variable.dims):
            continue
        fill = np.nan if variable.dtype.kind == "f" else -1
        dataset[name] = variable.where(done, fill).astype(variable.dtype).transpose(*variable.dims)
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
            if variable.dtype.kind != "f" or name.rsplit("_", 1)[0] in EXTRA_FIELDS:
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
