"""A synthetic diodescan result file in exactly the documented layout.

It lets the loader and the plots be tested without the Swift binary, and pins
down the layout of ``docs/ARCHITECTURE.md``: datasets with dimensions
``(dT, eps3, eps1)`` (``U_*`` with a trailing ``region``), coordinates as
dimension scales attached to every axis, NaN fill values, status codes
(-1 not computed, 0 converged, 1 not converged, 2 non-finite) and a
``tile_done`` flag per ``(dT, eps3)`` line.

The values are smooth toy functions, not physics: they have what the plots
draw (sign changes of I^F·I^B, R = ±1 regions, J^F > 0 > J^B) and
deliberately broken points (a non-converged point, a non-finite point and a
tile never computed) so the masks can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h5py
import numpy as np

STATUS_CODES_TEXT = (
    "-1: not computed, 0: converged, 1: not converged, 2: non-finite, "
    "3: converged (the equilibrium branch), a second self-consistent solution was found"
)

JOB_TEMPLATE = """title = "synthetic test file"
[model]
mu = {mu}
gamma = {gamma}
lambda = {lam}
d = {d}
screening = {screening}
[grid]
eps1 = {{ from = {e1a}, to = {e1b}, count = {n1} }}
eps3 = {{ from = {e3a}, to = {e3b}, count = {n3} }}
dT   = {dT}
[output]
file = "synthetic.h5"
"""


@dataclass
class SyntheticSpec:
    """What the synthetic file contains, and where its defects are."""

    eps1: np.ndarray = field(default_factory=lambda: np.linspace(30.0, 55.0, 26))
    eps3: np.ndarray = field(default_factory=lambda: np.linspace(32.0, 52.0, 21))
    dT: np.ndarray = field(default_factory=lambda: np.array([0.5, 1.0]))
    mu: float = 40.0
    gamma: float = 3.0
    lam: float = 1.0
    d: float = 1.0
    screening: bool = False
    #: (dT index, eps3 index, eps1 index) of a point whose F solve did not converge.
    not_converged: tuple[int, int, int] = (1, 3, 4)
    #: (dT index, eps3 index, eps1 index) of a point whose B solve was non-finite.
    non_finite: tuple[int, int, int] = (1, 5, 7)
    #: (dT index, eps3 index, eps1 index) of a point whose F solve converged
    #: and found a second self-consistent solution (status 3).
    multiple_solutions: tuple[int, int, int] = (1, 6, 9)
    #: (dT index, eps3 index) of a tile never computed (interrupted scan).
    missing_tile: tuple[int, int] = (0, 2)


def toy_currents(spec: SyntheticSpec) -> dict[str, np.ndarray]:
    """Smooth fields on the grid (dT, eps3, eps1) with the features the plots show."""
    dT = spec.dT[:, None, None]
    x3 = (spec.eps3 - spec.mu)[None, :, None]
    x1 = (spec.eps1 - spec.mu)[None, None, :]
    odd = dT * np.sin(x1 / 3.0) * np.cos(x3 / 4.0)
    even = 0.4 * dT**2 * np.sin((x1 + x3) / 5.0)
    I_F, I_B = even + odd, even - odd
    heat = dT * (1.0 + 0.1 * np.exp(-((x1 - 2.0) ** 2) / 30.0))
    J_F = heat * (1.0 + 0.15 * np.tanh((x1 - x3) / 4.0))
    J_B = -heat * (1.0 - 0.15 * np.tanh((x1 - x3) / 4.0))
    shape = I_F.shape
    mu_p_F = spec.mu + 0.1 * I_F
    mu_p_B = spec.mu + 0.1 * I_B
    T_p_F = np.broadcast_to(1.0 + 0.6 * dT, shape).copy()
    T_p_B = np.broadcast_to(1.0 + 0.4 * dT, shape).copy()
    if spec.lam == 0.0:
        T_p_F[:] = np.nan
        T_p_B[:] = np.nan
    with np.errstate(invalid="ignore"):  # 0/0 where both currents vanish: R undefined, NaN
        R_I = (I_F + I_B) / (np.abs(I_F) + np.abs(I_B))
        R_J = (J_F + J_B) / (np.abs(J_F) + np.abs(J_B))
    U_F = np.zeros(shape + (3,))
    U_B = np.zeros(shape + (3,))
    if spec.screening:
        U_F += 0.01 * I_F[..., None] * np.array([1.0, 0.5, -1.0])
        U_B += 0.01 * I_B[..., None] * np.array([-1.0, 0.5, 1.0])
    return {
        "I_F": I_F, "I_B": I_B, "J_F": J_F, "J_B": J_B,
        "R_I": R_I, "R_J": R_J,
        "mu_p_F": mu_p_F, "mu_p_B": mu_p_B, "T_p_F": T_p_F, "T_p_B": T_p_B,
        "U_F": U_F, "U_B": U_B,
    }


_UNITS = {
    "I": ("k_B T / h", "particle current"),
    "J": ("(k_B T)^2 / h", "heat current"),
    "mu_p": ("k_B T", "probe electrochemical potential"),
    "T_p": ("T", "probe temperature"),
    "U": ("k_B T", "region potentials (U1, U2, U3)"),
}


def write_synthetic(path, spec: SyntheticSpec | None = None, *, libver=None) -> SyntheticSpec:
    """Write the synthetic file to ``path`` and return its specification.

    ``libver="latest"`` writes the newest file format, which a writer needs to
    switch the file to SWMR mode afterwards (as diodescan does while scanning).
    """
    spec = spec or SyntheticSpec()
    fields = toy_currents(spec)
    shape = (len(spec.dT), len(spec.eps3), len(spec.eps1))

    status = {"F": np.zeros(shape, np.int32), "B": np.zeros(shape, np.int32)}
    iterations = {"F": np.full(shape, 7, np.int32), "B": np.full(shape, 8, np.int32)}
    status["F"][spec.not_converged] = 1
    status["B"][spec.non_finite] = 2
    status["F"][spec.multiple_solutions] = 3
    tile_done = np.ones(shape[:2], np.uint8)
    tile_done[spec.missing_tile] = 0
    for suffix in ("F", "B"):
        status[suffix][spec.missing_tile] = -1
        iterations[suffix][spec.missing_tile] = -1
    # A point that failed, or was never computed, holds NaN in the file.
    for name, values in fields.items():
        failed = np.zeros(shape, bool)
        if name.endswith("_F") or name.startswith("R_"):
            failed |= ~np.isin(status["F"], (0, 3))
        if name.endswith("_B") or name.startswith("R_"):
            failed |= ~np.isin(status["B"], (0, 3))
        values[failed] = np.nan

    job = JOB_TEMPLATE.format(
        mu=spec.mu, gamma=spec.gamma, lam=spec.lam, d=spec.d,
        screening=str(spec.screening).lower(),
        e1a=spec.eps1[0], e1b=spec.eps1[-1], n1=len(spec.eps1),
        e3a=spec.eps3[0], e3b=spec.eps3[-1], n3=len(spec.eps3),
        dT=list(map(float, spec.dT)),
    )

    with h5py.File(path, "w", libver=libver) as f:
        scales = {}
        for name, values, long_name, units in (
            ("dT", spec.dT, "temperature increase ΔT", "T"),
            ("eps3", spec.eps3, "resonance energy ε3", "k_B T"),
            ("eps1", spec.eps1, "resonance energy ε1", "k_B T"),
            ("region", np.array([1, 2, 3], np.int32), "region index α", "1"),
        ):
            scale = f.create_dataset(name, data=values)
            scale.make_scale(name)
            scale.attrs["long_name"] = long_name
            scale.attrs["units"] = units
            scales[name] = scale

        def create(name, data, dims, fill, long_name, units):
            dataset = f.create_dataset(
                name, data=data, chunks=(1, 1) + data.shape[2:],
                compression="gzip", fillvalue=fill,
            )
            for axis, dim in enumerate(dims):
                dataset.dims[axis].attach_scale(scales[dim])
            dataset.attrs["long_name"] = long_name
            dataset.attrs["units"] = units

        point_dims = ("dT", "eps3", "eps1")
        for name, values in fields.items():
            if name.startswith("R_"):
                units, long_name = "1", f"rectification coefficient of {name[2]}"
            else:
                base, suffix = name.rsplit("_", 1)
                units, what = _UNITS[base]
                long_name = f"{what}, {'forward' if suffix == 'F' else 'backward'} configuration"
            dims = point_dims + ("region",) if name.startswith("U_") else point_dims
            create(name, values, dims, np.nan, long_name, units)
        for suffix in ("F", "B"):
            create(f"status_{suffix}", status[suffix], point_dims, np.int32(-1), "solver status", "1")
            f[f"status_{suffix}"].attrs["status_codes"] = STATUS_CODES_TEXT
            f[f"status_{suffix}"].attrs["flag_values"] = np.array([-1, 0, 1, 2, 3], np.int64)
            f[f"status_{suffix}"].attrs["flag_meanings"] = "not_computed converged not_converged non_finite multiple_solutions"
            create(f"iterations_{suffix}", iterations[suffix], point_dims, np.int32(-1),
                   "solver iterations", "1")
        create("tile_done", tile_done, ("dT", "eps3"), np.uint8(0), "tile finished (1) or not (0)", "1")

        # Root attributes as diodescan's ResultFile writes them (CF style,
        # provenance, one attribute per model/solver parameter).
        parameters = {
            "mu": spec.mu, "gamma1": spec.gamma, "gamma3": spec.gamma, "lambda": spec.lam,
            "d": spec.d, "screening": np.int64(spec.screening),
            "c12": 0.0, "c13": 0.0, "c23": 0.0, "c1g": 0.0, "c2g": 0.0, "c3g": 0.0,
            "solver_relative_tolerance": 1e-10, "solver_max_iterations": np.int64(60),
        }
        failed_F = int(np.count_nonzero(status["F"] > 0))
        failed_B = int(np.count_nonzero(status["B"] > 0))
        failed_either = int(np.count_nonzero((status["F"] > 0) | (status["B"] > 0)))
        f.attrs.update({
            "Conventions": "CF-1.8",
            "title": "diodescan rectification maps",
            "source": "synthetic test file (not diodescan output)",
            "history": "written by analysis/tests/synthetic.py",
            "file_stage": "finished",
            "software_version": "synthetic",
            "source_revision": "none",
            "date_created": "2026-01-01T00:00:00Z",
            "job_text": job,
            "job_fingerprint": "synthetic",
            "status_codes": STATUS_CODES_TEXT,
            "tiles_total": np.int64(tile_done.size),
            "tiles_completed": np.int64(np.count_nonzero(tile_done)),
            "parameter_names": list(parameters),
            "wall_time_seconds": 1.5,
            "mpi_ranks": np.int64(1),
            "threads_per_rank": np.int64(2),
            "non_converged_points": np.int64(failed_either),
            "non_converged_points_F": np.int64(failed_F),
            "non_converged_points_B": np.int64(failed_B),
        })
        f.attrs.update(parameters)
    return spec


# --- N-dimensional files (general scan axes) ----------------------------------

_AXIS_META = {
    "eps1": ("k_B T", "resonance energy ε1"), "eps3": ("k_B T", "resonance energy ε3"),
    "dT": ("T", "temperature increase ΔT"), "gamma": ("k_B T", "width Γ1 = Γ3"),
    "gamma1": ("k_B T", "width Γ1"), "gamma3": ("k_B T", "width Γ3"), "lambda": ("1", "probe strength λ"),
    "d": ("1", "length of region 2"), "mu": ("k_B T", "chemical potential μ"),
    "detuning": ("k_B T", "detuning (ε1 + ε3)/2 − μ"), "asymmetry": ("k_B T", "asymmetry (ε1 − ε3)/2"),
}


def write_nd(path, grid: dict, fixed: dict, *, extras: bool = False, missing_tile: tuple | None = None,
             field=None, screening: bool = False) -> dict:
    """Write a result file in the N-dimensional convention.

    ``grid`` lists the axes innermost first (as ``[grid]`` does); the datasets
    get the reverse order as dims. ``fixed`` are root attributes (fixed model
    parameters). ``field(**axes)`` gives I_F from broadcast axis arrays
    (default a smooth toy); I_B = I_F·0.8 − 0.01, J_F = 1 + axes sum², J_B =
    −0.9 J_F. ``missing_tile``: an index into the outer dims never computed.
    Returns the dims tuple and the arrays written.
    """
    names = list(grid)[::-1]
    arrays = [np.asarray(grid[n], float) for n in names]
    mesh = dict(zip(names, np.meshgrid(*arrays, indexing="ij")))
    shape = tuple(len(a) for a in arrays)
    if field is None:
        def field(**axes):
            total = sum(np.sin(0.3 * (k + 1) * v) for k, v in enumerate(axes.values()))
            return 0.01 * total
    I_F = np.asarray(field(**mesh), float) * np.ones(shape)
    I_B = 0.8 * I_F - 0.01
    J_F = 1.0 + 0.01 * sum(v ** 2 for v in mesh.values())
    J_B = -0.9 * J_F
    with np.errstate(invalid="ignore"):
        values = {"I_F": I_F, "I_B": I_B, "J_F": J_F, "J_B": J_B,
                  "R_I": (I_F + I_B) / (abs(I_F) + abs(I_B)), "R_J": (J_F + J_B) / (abs(J_F) + abs(J_B)),
                  "mu_p_F": 40 + I_F, "mu_p_B": 40 + I_B, "T_p_F": 1.5 + 0 * I_F, "T_p_B": 1.5 + 0 * I_F}
    if extras:
        values.update({"I_lin_F": 0.5 * I_F, "I_lin_B": -0.5 * I_F, "J_lin_F": 0.5 * J_F, "J_lin_B": -0.5 * J_F,
                       "I_eqT_F": 0.25 * I_F, "I_eqT_B": -0.25 * I_F, "J_eqT_F": J_F, "J_eqT_B": -J_F})
    status = np.zeros(shape, np.int32)
    tile_done = np.ones(shape[:-1], np.uint8)
    if missing_tile is not None:
        tile_done[missing_tile] = 0
        status[missing_tile] = -1
        for name, v in values.items():
            v[missing_tile] = np.nan
    with h5py.File(path, "w") as f:
        scales = {}
        for name, array in zip(names, arrays):
            scale = f.create_dataset(name, data=array)
            scale.make_scale(name)
            scale.attrs["units"], scale.attrs["long_name"] = _AXIS_META.get(name, ("1", name))
            scales[name] = scale
        region = f.create_dataset("region", data=np.array([1, 2, 3], np.int32))
        region.make_scale("region")
        scales["region"] = region

        def create(name, data, dims):
            dataset = f.create_dataset(name, data=data)
            for axis, dim in enumerate(dims):
                dataset.dims[axis].attach_scale(scales[dim])
            dataset.attrs["units"] = "1"
            dataset.attrs["long_name"] = name

        for name, v in values.items():
            create(name, v, names)
        for suffix in "FB":
            create(f"U_{suffix}", np.zeros(shape + (3,)), names + ["region"])
            create(f"status_{suffix}", status, names)
            create(f"iterations_{suffix}", np.where(status < 0, -1, 5).astype(np.int32), names)
        create("tile_done", tile_done, names[:-1])
        f.attrs["title"] = "synthetic N-dim file"
        f.attrs["screening"] = np.int64(screening)
        for key, value in fixed.items():
            f.attrs[key] = value
    return {"dims": tuple(names), "I_F": I_F, "I_B": I_B, "J_F": J_F, "J_B": J_B}
