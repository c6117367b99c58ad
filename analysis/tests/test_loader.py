"""The loader against the file itself, read independently with h5py."""

from __future__ import annotations

import os
import subprocess

import h5py
import numpy as np
import pytest
import xarray as xr

import diodescan_analysis as da
from synthetic import SyntheticSpec, write_synthetic

POINT_DIMS = ("dT", "eps3", "eps1")
FLOAT_FIELDS = ("I_F", "I_B", "J_F", "J_B", "R_I", "R_J", "mu_p_F", "mu_p_B", "T_p_F", "T_p_B", "U_F", "U_B")


def _raw(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


def _root_attrs(path):
    with h5py.File(path, "r") as f:
        return {key: f.attrs[key] for key in f.attrs}


def _same(a, b):
    """Equality of attribute values of any type h5py returns."""
    if isinstance(b, bytes):
        b = b.decode()
    if isinstance(b, np.ndarray) and b.size == 1 and not isinstance(a, np.ndarray):
        b = b.item()
        if isinstance(b, bytes):
            b = b.decode()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(b, np.generic):
        b = b.item()
    return a == b


def test_coordinates_equal_the_files_scales(result_file):
    ds = da.load(result_file.path)
    for name in ("eps1", "eps3", "dT"):
        np.testing.assert_array_equal(ds[name].values, _raw(result_file.path, name))
    np.testing.assert_allclose(ds["eps1"].values, result_file.eps1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["eps3"].values, result_file.eps3, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["dT"].values, result_file.dT, rtol=0, atol=1e-12)
    assert list(ds["region"].values) == list(_raw(result_file.path, "region"))
    assert ds.sizes["region"] == 3


def test_derived_coordinates_are_shifted_by_mu(result_file):
    ds = da.load(result_file.path)
    assert da.model_parameters(ds).mu == result_file.mu
    np.testing.assert_array_equal(ds["x1"].values, ds["eps1"].values - result_file.mu)
    np.testing.assert_array_equal(ds["x3"].values, ds["eps3"].values - result_file.mu)
    assert ds["x1"].dims == ("eps1",) and ds["x3"].dims == ("eps3",)


def test_dimensions_follow_the_documented_layout(result_file):
    ds = da.load(result_file.path)
    for name in FLOAT_FIELDS + ("status_F", "status_B", "iterations_F", "iterations_B"):
        expected = POINT_DIMS + ("region",) if name.startswith("U_") else POINT_DIMS
        assert ds[name].dims == expected, name
    assert ds["tile_done"].dims == ("dT", "eps3")


def test_values_equal_the_file_where_converged_and_nan_elsewhere(result_file):
    ds = da.load(result_file.path)
    status = {s: _raw(result_file.path, f"status_{s}") for s in "FB"}
    for name in FLOAT_FIELDS:
        raw = _raw(result_file.path, name)
        valid = {s: np.isin(status[s], (0, 3)) for s in "FB"}  # 3: converged, multiple solutions
        if name.startswith("R_"):
            keep = valid["F"] & valid["B"]
        else:
            keep = valid[name[-1]]
        if raw.ndim == 4:
            keep = keep[..., None] & np.ones(raw.shape, bool)
        expected = np.where(keep, raw, np.nan)
        np.testing.assert_array_equal(ds[name].values, expected, err_msg=name)


def test_unmasked_load_returns_the_raw_values(result_file):
    ds = da.load(result_file.path, mask=False)
    for name in FLOAT_FIELDS + ("status_F", "iterations_B", "tile_done"):
        np.testing.assert_array_equal(ds[name].values, _raw(result_file.path, name), err_msg=name)


def test_integer_fields_are_never_masked(result_file):
    ds = da.load(result_file.path)
    for name in ("status_F", "status_B", "iterations_F", "iterations_B", "tile_done"):
        assert ds[name].dtype == _raw(result_file.path, name).dtype, name
        np.testing.assert_array_equal(ds[name].values, _raw(result_file.path, name), err_msg=name)


def test_converged_masks_follow_the_status(result_file):
    ds = da.load(result_file.path)
    forward = np.isin(_raw(result_file.path, "status_F"), (0, 3))
    backward = np.isin(_raw(result_file.path, "status_B"), (0, 3))
    np.testing.assert_array_equal(ds["converged_F"].values, forward)
    np.testing.assert_array_equal(ds["converged_B"].values, backward)
    np.testing.assert_array_equal(ds["converged"].values, forward & backward)


def test_every_root_attribute_is_kept(result_file):
    ds = da.load(result_file.path)
    attrs = _root_attrs(result_file.path)
    assert attrs, "the file has no root attributes"
    for key, value in attrs.items():
        assert key in ds.attrs, key
        assert _same(ds.attrs[key], value), key


def test_dataset_attributes_carry_units_and_long_names(result_file):
    ds = da.load(result_file.path)
    with h5py.File(result_file.path, "r") as f:
        for name in FLOAT_FIELDS:
            for key in ("units", "long_name"):
                assert key in f[name].attrs, f"{name} has no {key} in the file"
                assert _same(ds[name].attrs[key], f[name].attrs[key]), (name, key)


def test_model_parameters_match_the_job(result_file):
    parameters = da.model_parameters(da.load(result_file.path))
    assert parameters.mu == result_file.mu
    assert parameters.lambda_ == result_file.lambda_
    assert parameters.screening == result_file.screening


def test_rectification_agrees_with_the_currents(result_file):
    """R_X = (X^F + X^B) / (|X^F| + |X^B|) in the file, to rounding."""
    ds = da.load(result_file.path)
    for symbol in "IJ":
        forward, backward = ds[f"{symbol}_F"].values, ds[f"{symbol}_B"].values
        with np.errstate(invalid="ignore"):
            expected = (forward + backward) / (np.abs(forward) + np.abs(backward))
        finite = np.isfinite(expected)
        assert finite.any()
        np.testing.assert_allclose(ds[f"R_{symbol}"].values[finite], expected[finite], rtol=0, atol=1e-12)
        assert np.nanmax(np.abs(ds[f"R_{symbol}"].values)) <= 1.0


def test_xarray_opens_the_file_directly_with_h5netcdf(result_file):
    with xr.open_dataset(result_file.path, engine="h5netcdf") as ds:
        assert not [dim for dim in ds.dims if str(dim).startswith("phony_dim")], ds.dims
        assert ds["R_I"].dims == POINT_DIMS
        assert ds["U_F"].dims == POINT_DIMS + ("region",)
        np.testing.assert_array_equal(ds["eps1"].values, _raw(result_file.path, "eps1"))
        np.testing.assert_array_equal(ds["eps3"].values, _raw(result_file.path, "eps3"))
        np.testing.assert_array_equal(ds["dT"].values, _raw(result_file.path, "dT"))
        np.testing.assert_array_equal(ds["I_F"].values, _raw(result_file.path, "I_F"))


def test_real_scan_converges_and_obeys_the_second_law(diodescan_file):
    """The small real scan: every point converged, heat flows from hot to cold."""
    ds = da.load(diodescan_file.path)
    assert bool(ds["converged"].all()), "the small Fig. 2 scan has non-converged points"
    assert bool((ds["tile_done"] == 1).all())
    assert float(ds["J_F"].min()) > 0 > float(ds["J_B"].max())


# --- synthetic-file specifics: the known defects ------------------------------


def test_a_non_converged_forward_point_masks_forward_values_and_r_only(synthetic_file, synthetic_spec):
    ds = da.load(synthetic_file.path)
    point = dict(zip(POINT_DIMS, synthetic_spec.not_converged))
    at = ds.isel(point)
    assert int(at["status_F"]) == 1
    assert np.isnan(float(at["I_F"])) and np.isnan(float(at["J_F"]))
    assert np.isnan(float(at["R_I"])) and np.isnan(float(at["R_J"]))
    assert np.isfinite(float(at["I_B"])) and np.isfinite(float(at["J_B"]))
    assert not bool(at["converged_F"]) and bool(at["converged_B"]) and not bool(at["converged"])


def test_a_point_with_multiple_solutions_keeps_its_values_and_is_flagged(synthetic_file, synthetic_spec):
    ds = da.load(synthetic_file.path)
    at = ds.isel(dict(zip(POINT_DIMS, synthetic_spec.multiple_solutions)))
    assert int(at["status_F"]) == 3
    assert np.isfinite(float(at["I_F"])) and np.isfinite(float(at["R_I"]))
    assert bool(at["converged_F"]) and bool(at["converged"])
    assert bool(at["multiple_solutions_F"]) and not bool(at["multiple_solutions_B"])
    assert int(ds["multiple_solutions_F"].sum()) == 1 and not bool(ds["multiple_solutions_B"].any())
    assert da.STATUS_CODES[3] == "converged, multiple solutions"


def test_a_missing_tile_is_nan_with_status_not_computed(synthetic_file, synthetic_spec):
    ds = da.load(synthetic_file.path)
    dT_index, eps3_index = synthetic_spec.missing_tile
    tile = ds.isel(dT=dT_index, eps3=eps3_index)
    assert int(tile["tile_done"]) == 0
    assert (tile["status_F"] == -1).all() and (tile["status_B"] == -1).all()
    assert tile["I_F"].isnull().all() and tile["R_J"].isnull().all() and tile["U_B"].isnull().all()
    assert int(ds["converged"].sum()) == ds["converged"].size - len(ds["eps1"]) - 2


def test_tiles_of_a_scan_in_progress_not_yet_written_load_as_fill_values(tmp_path):
    # While scanning, a tile never written is flagged 3 and its storage holds
    # zeros; one being written is flagged 2 and may hold partial values.
    path = tmp_path / "scanning.h5"
    write_synthetic(path)
    with h5py.File(path, "r+") as f:
        f.attrs["file_stage"] = "scanning"
        flags = f["tile_done"][()]
        flags[0, 0], flags[0, 1] = 3, 2
        f["tile_done"][...] = flags
        for name in ("I_F", "J_B", "status_F", "iterations_B", "U_F"):
            values = f[name][()]
            values[0, 0] = 0
            values[0, 1] = 7
            f[name][...] = values
    ds = da.load(path, mask=False)
    for index in (0, 1):
        tile = ds.isel(dT=0, eps3=index)
        assert tile["I_F"].isnull().all() and tile["J_B"].isnull().all() and tile["U_F"].isnull().all()
        assert (tile["status_F"] == -1).all() and (tile["iterations_B"] == -1).all()
        assert tile["status_F"].dtype == np.int32
        assert not bool(tile["converged_F"].any())
    assert int(ds["tile_done"][0, 0]) == 3
    assert np.isfinite(float(ds["I_F"].isel(dT=0, eps3=3, eps1=0)))


def test_parameters_fall_back_to_the_job_text(tmp_path):
    path = tmp_path / "job-only.h5"
    write_synthetic(path, SyntheticSpec(mu=35.0, lam=0.0, screening=True))
    with h5py.File(path, "r+") as f:
        for key in ("mu", "lambda", "screening", "gamma1", "gamma3", "d"):
            del f.attrs[key]
    parameters = da.model_parameters(da.load(path))
    assert (parameters.mu, parameters.lambda_, parameters.screening, parameters.gamma1) == (35.0, 0.0, True, 3.0)


def test_a_file_without_mu_is_rejected_naming_it(tmp_path):
    path = tmp_path / "no-mu.h5"
    write_synthetic(path)
    with h5py.File(path, "r+") as f:
        del f.attrs["mu"]
        del f.attrs["job_text"]
    with pytest.raises(ValueError, match="mu"):
        da.load(path)


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ({"model.mu": 40.0, "model.lambda": 1.0, "model.screening": "true", "model.gamma": 2.0}, (40.0, 1.0, True, 2.0)),
        ({"model_mu": 38.0, "model_lambda": 0.5, "model_screening": 0, "model_gamma1": 1.0}, (38.0, 0.5, False, 1.0)),
    ],
)
def test_prefixed_parameter_names_are_understood(attrs, expected):
    parameters = da.model_parameters(attrs)
    assert (parameters.mu, parameters.lambda_, parameters.screening, parameters.gamma1) == expected


def test_a_dT_selection_reads_the_nearest_slices_only(result_file):
    full = da.load(result_file.path)
    one = da.load(result_file.path, dT=0.6)
    assert list(one["dT"].values) == [0.5]
    xr.testing.assert_identical(one.drop_vars("converged"), full.sel(dT=[0.5]).drop_vars("converged"))
    both = da.load(result_file.path, dT=[5.0, 0.0])
    assert list(both["dT"].values) == [0.5, 1.0]


WRITER = """
import sys, time, h5py
sys.path.insert(0, {tests!r})
from synthetic import write_synthetic
# diodescan writes the default (compatible) format while scanning; SWMR needs the latest.
libver = "latest" if {swmr!r} else None
write_synthetic({path!r}, libver=libver)
f = h5py.File({path!r}, "r+", libver=libver)
if {swmr!r}:
    f.swmr_mode = True
f["I_F"][1, 0, 0] = 123.0
f.flush()
print("ready", flush=True)
sys.stdin.read()            # hold the file open until the test is done
f.close()
"""


@pytest.mark.parametrize("swmr", [False, True], ids=["plain-writer", "swmr-writer"])
def test_a_file_held_open_by_a_running_scan_loads(tmp_path, swmr):
    """A running scan keeps its file open for writing; `info`/`plot` must still read it."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "running.h5"
    source = WRITER.format(tests=str(Path(__file__).parent), path=str(path), swmr=swmr)
    writer = subprocess.Popen([sys.executable, "-c", source], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        if os.environ.get("HDF5_USE_FILE_LOCKING", "").upper() != "FALSE":
            with pytest.raises(OSError):
                h5py.File(path, "r")  # the writer's lock refuses a plain reader
        ds = da.load(path)
        assert float(ds["I_F"].isel(dT=1, eps3=0, eps1=0)) == 123.0
    finally:
        writer.communicate(input="", timeout=60)
    assert writer.returncode == 0


def test_the_job_title_comes_from_the_stored_job_text(result_file):
    expected = {"synthetic": "synthetic test file", "diodescan": "analysis test scan (Fig. 2 model, coarse)"}
    assert da.job_title(da.load(result_file.path)) == expected[result_file.kind]


# A scan with general axes (docs/jobs.md, "Axes"): four axes, innermost
# first in [grid], some tiles never computed (a killed scan's file).
AXES_JOB = """title = "analysis test scan: general axes"
[model]
mu = 40.0
lambda = 1.0
detuning = 0.0
[grid]
asymmetry = { from = -4.0, to = 4.0, count = 5 }
gamma = [1.0, 3.0]
dT = [0.5, 1.0]
d = [1.0, 2.0]
"""


def test_a_scan_with_general_axes_loads_with_its_axes_as_dimensions(tmp_path):
    from conftest import diodescan_binary

    binary, reason = diodescan_binary()
    if binary is None:
        pytest.skip(f"no diodescan binary: {reason}")
    job = tmp_path / "axes.toml"
    job.write_text(AXES_JOB)
    output = tmp_path / "axes.h5"
    environment = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    result = subprocess.run(
        [binary, "scan", job, "--output", output, "--quiet", "--threads", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=environment,
    )
    assert result.returncode == 0, result.stderr
    # Knock out one tile as a killed scan would leave it (flag 3: never written).
    with h5py.File(output, "r+") as f:
        f["tile_done"][1, 0, 1] = 3
        f["I_F"][1, 0, 1, :] = 0.0

    data = da.load(output)
    assert data["I_F"].dims == ("d", "dT", "gamma", "asymmetry")
    assert data["U_F"].dims == ("d", "dT", "gamma", "asymmetry", "region")
    assert data["tile_done"].dims == ("d", "dT", "gamma")
    np.testing.assert_array_equal(data["asymmetry"].values, np.linspace(-4.0, 4.0, 5))
    np.testing.assert_array_equal(data["gamma"].values, [1.0, 3.0])
    assert data["gamma"].attrs["units"] == "k_B T" and data["gamma"].attrs["long_name"]
    # Fixed coordinates are root attributes; axes are not.
    assert data.attrs["detuning"] == 0.0 and data.attrs["lambda"] == 1.0
    assert "dT" not in data.attrs and "gamma1" not in data.attrs and "d" not in data.attrs
    # The knocked-out tile reads as fill values; the others converged.
    assert np.isnan(data["I_F"][1, 0, 1]).all()
    assert (data["status_F"][1, 0, 1] == -1).all()
    assert bool(data["converged"][0].all())
    # A dT selection works on an inner axis too.
    assert da.load(output, dT=1.0)["I_F"].sizes["dT"] == 1
    # xarray opens it directly with labelled coordinates.
    xarray_view = xr.open_dataset(output, engine="h5netcdf", phony_dims="access")
    assert xarray_view["I_F"].dims == ("d", "dT", "gamma", "asymmetry")
    xarray_view.close()
