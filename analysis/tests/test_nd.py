"""General scan axes: the N-dimensional file convention, the ds.diode accessor,
`plot` on any axes, `cut`, the numerics (dJ/dΔT, sub-grid maxima) and `points`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

import diodescan_analysis as da
from diodescan_analysis import numerics, panels
from diodescan_analysis.cli import main
from synthetic import write_nd

from conftest import REPOSITORY, diodescan_binary

ASYM = np.linspace(-5.0, 5.0, 21)
GAMMA = np.linspace(0.5, 5.0, 19)   # step 0.25: 2.47 is not a grid value
FIG2E_FIXED = {"mu": 40.0, "lambda": 1.0, "d": 1.0, "dT": 1.0, "detuning": 0.0}


def _fig2e_surface(gamma, asymmetry):
    """A smooth surface with its maximum at Γ = 2.47, asymmetry = −1.33 (value 0.03)."""
    return 0.03 * np.exp(-((gamma - 2.47) / 1.7) ** 2 - ((asymmetry + 1.33) / 2.5) ** 2) - 0.004 * asymmetry


# --- the loader ---------------------------------------------------------------


def test_dims_come_from_the_dimension_scales_in_reverse_grid_order(tmp_path):
    path = tmp_path / "three.h5"
    grid = {"asymmetry": ASYM, "gamma": GAMMA, "dT": [0.5, 1.0]}  # innermost first
    written = write_nd(path, grid, {"mu": 40.0, "lambda": 1.0, "detuning": 0.0})
    ds = da.load(path)
    assert written["dims"] == ("dT", "gamma", "asymmetry")
    assert ds["I_F"].dims == ("dT", "gamma", "asymmetry")
    assert ds["U_F"].dims == ("dT", "gamma", "asymmetry", "region")
    assert ds["tile_done"].dims == ("dT", "gamma")
    assert ds.diode.axes == ("dT", "gamma", "asymmetry")
    np.testing.assert_array_equal(ds["gamma"].values, GAMMA)
    np.testing.assert_array_equal(ds["I_F"].values, written["I_F"])
    assert ds["gamma"].attrs["units"] == "k_B T" and "long_name" in ds["asymmetry"].attrs


def test_fixed_parameters_are_attributes_and_axes_are_not(tmp_path):
    path = tmp_path / "p.h5"
    write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA}, FIG2E_FIXED)
    ds = da.load(path)
    p = ds.diode.parameters
    assert p.axes == ("gamma", "asymmetry")
    assert p.fixed["detuning"] == 0.0 and p.fixed["dT"] == 1.0 and p.fixed["mu"] == 40.0
    assert "gamma" not in p.fixed and "gamma1" not in p.fixed and "asymmetry" not in p.fixed
    assert p.fixed["c12"] == 0.0  # MODEL.md default
    assert ds.attrs["scan_axes"] == ["gamma", "asymmetry"]
    assert "ΔT = 1" in p.label and "detuning = 0" in p.label


def test_eps1_eps3_and_shifted_coordinates_are_derived_from_detuning_and_asymmetry(tmp_path):
    path = tmp_path / "d.h5"
    write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA}, FIG2E_FIXED)
    ds = da.load(path)
    assert ds["eps1"].dims == ("asymmetry",)
    np.testing.assert_allclose(ds["eps1"].values, 40.0 + ASYM)
    np.testing.assert_allclose(ds["eps3"].values, 40.0 - ASYM)
    np.testing.assert_allclose(ds["x1"].values, ASYM)
    np.testing.assert_allclose(ds["x3"].values, -ASYM)

    both = tmp_path / "both.h5"
    det = np.array([-1.0, 0.0, 2.0])
    write_nd(both, {"asymmetry": ASYM[:5], "detuning": det}, {"mu": 30.0, "gamma": 1.0})
    ds = da.load(both)
    assert ds["eps1"].dims == ("detuning", "asymmetry")
    np.testing.assert_allclose(ds["eps1"].values, 30.0 + det[:, None] + ASYM[None, :5])
    np.testing.assert_allclose(ds["x3"].values, det[:, None] - ASYM[None, :5])


def test_derived_coordinates_only_where_their_inputs_exist(tmp_path):
    path = tmp_path / "g.h5"
    write_nd(path, {"gamma": GAMMA}, {"mu": 40.0, "eps1": 45.0, "eps3": 44.0, "dT": 1.0})
    ds = da.load(path)
    for name in ("x1", "x3", "eps1", "eps3"):
        assert name not in ds.coords, name
    assert ds.diode.parameters.fixed["eps1"] == 45.0

    classic = tmp_path / "e.h5"
    write_nd(classic, {"eps1": [39.0, 41.0, 43.0], "lambda": [0.0, 0.5, 1.0]}, {"mu": 40.0, "eps3": 44.0})
    ds = da.load(classic)
    np.testing.assert_allclose(ds["x1"].values, [-1.0, 1.0, 3.0])
    assert "x3" not in ds.coords and "lambda" not in ds.diode.parameters.fixed


def test_a_mu_axis_is_accepted_without_a_fixed_mu(tmp_path):
    path = tmp_path / "mu.h5"
    write_nd(path, {"eps1": [38.0, 40.0], "mu": [39.0, 40.0, 41.0]}, {"eps3": 44.0, "gamma": 1.0})
    ds = da.load(path)
    assert ds.diode.parameters.mu is None
    np.testing.assert_allclose(ds["x1"].values, np.array([38.0, 40.0])[None, :] - np.array([39.0, 40.0, 41.0])[:, None])


def test_unfinished_tiles_of_outer_dims_are_fill_values(tmp_path):
    path = tmp_path / "t.h5"
    write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA, "dT": [0.5, 1.0]}, FIG2E_FIXED, missing_tile=(1, 3))
    with h5py.File(path, "r+") as f:  # a batch being written: partial values in the storage
        values = f["I_F"][()]
        values[1, 3, :] = 7.0
        f["I_F"][...] = values
    ds = da.load(path, mask=False)
    tile = ds.isel(dT=1, gamma=3)
    assert tile["I_F"].isnull().all() and (tile["status_F"] == -1).all()
    assert not bool(tile["converged"].any())
    assert np.isfinite(ds["I_F"].isel(dT=1, gamma=2)).all()


def test_extras_are_loaded_and_not_masked(tmp_path):
    path = tmp_path / "x.h5"
    write_nd(path, {"dT": np.linspace(0.1, 2, 20)}, {"mu": 40.0, "eps1": 46.6, "eps3": 48.2}, extras=True)
    with h5py.File(path, "r+") as f:
        status = f["status_F"][()]
        status[4] = 1
        f["status_F"][...] = status
    ds = da.load(path)
    for name in ("I_lin_F", "I_lin_B", "J_lin_F", "I_eqT_F", "I_eqT_B", "J_eqT_B"):
        assert ds[name].dims == ("dT",), name
    assert np.isnan(float(ds["I_F"][4])) and np.isnan(float(ds["R_I"][4]))
    assert np.isfinite(float(ds["I_lin_F"][4])) and np.isfinite(float(ds["I_eqT_F"][4]))
    assert np.isfinite(float(ds["I_B"][4]))


def test_a_dT_selection_works_on_any_axis_position_and_is_ignored_when_dT_is_fixed(tmp_path):
    inner = tmp_path / "inner.h5"
    write_nd(inner, {"dT": [0.5, 1.0, 1.5], "gamma": [1.0, 2.0]}, {"mu": 40.0, "eps1": 45.0, "eps3": 44.0})
    ds = da.load(inner, dT=1.1)
    assert ds["I_F"].dims == ("gamma", "dT") and list(ds["dT"].values) == [1.0]
    np.testing.assert_array_equal(ds["I_F"].values[:, 0], da.load(inner)["I_F"].values[:, 1])
    fixed = tmp_path / "fixed.h5"
    write_nd(fixed, {"gamma": [1.0, 2.0]}, {"mu": 40.0, "eps1": 45.0, "eps3": 44.0, "dT": 1.0})
    assert da.load(fixed, dT=3.0).sizes["gamma"] == 2


# --- the accessor ---------------------------------------------------------------


def test_accessor_masks_cuts_and_lines(tmp_path):
    path = tmp_path / "a.h5"
    write_nd(path, {"eps1": np.linspace(35, 45, 11), "eps3": np.linspace(40, 50, 6), "dT": [0.5, 1.0]},
             {"mu": 40.0, "gamma": 3.0, "lambda": 1.0})
    with h5py.File(path, "r+") as f:
        status = f["status_B"][()]
        status[1, 2, 3] = 2
        f["status_B"][...] = status
    ds = da.load(path, mask=False)
    assert not bool(ds.diode.converged[1, 2, 3]) and int(ds.diode.converged.sum()) == ds["I_F"].size - 1
    assert np.isnan(float(ds.diode.masked("I_B")[1, 2, 3])) and np.isfinite(float(ds.diode.masked("I_F")[1, 2, 3]))
    assert np.isnan(float(ds.diode.masked("R_J")[1, 2, 3]))
    cut = ds.diode.cut(x3=4.1, dT=0.9)          # x3 = eps3 − mu; nearest grid values
    assert float(cut["eps3"]) == 44.0 and float(cut["dT"]) == 1.0 and cut["I_F"].dims == ("eps1",)
    line = ds.diode.line("eps3", eps1=38.2, dT=0.5)
    assert line["I_F"].dims == ("eps3",) and float(line["eps1"]) == 38.0
    with pytest.raises(ValueError, match="dT"):
        ds.diode.line("eps3", eps1=38.2)
    with pytest.raises(KeyError, match="gamma"):
        ds.diode.cut(gamma=1.0)
    figure, (left, right) = plt.subplots(1, 2)
    ds.diode.plot_map("R_I", ax=left, dT=1.0)
    ds.diode.plot_line(["I_F", "I_B"], axis="eps1", ax=right, eps3=44.0, dT=1.0)
    assert left.collections and len(right.get_lines()) >= 2
    plt.close(figure)


@pytest.mark.filterwarnings("ignore:cut .* lies outside the grid")
def test_the_accessor_chooses_panels_by_the_extended_axes(tmp_path):
    cases = [({"eps1": [39.0, 40.0, 41.0], "eps3": [40.0, 41.0]}, "paper"),
             ({"asymmetry": ASYM, "gamma": GAMMA}, "fig2e"),
             ({"eps1": [39.0, 40.0, 41.0], "lambda": [0.0, 1.0]}, "map"),
             ({"dT": [0.5, 1.0, 1.5]}, "dT"),
             ({"gamma": [1.0, 2.0, 3.0], "dT": [1.0]}, "lines")]
    for number, (grid, kind) in enumerate(cases):
        path = tmp_path / f"k{number}.h5"
        write_nd(path, grid, {"mu": 40.0, "eps1": 45.0, "eps3": 44.0, "detuning": 0.0, "lambda": 1.0})
        ds = da.load(path)
        assert panels.choose_kind(ds) == kind, grid
        figure = ds.diode.figure()
        assert len(figure.axes) >= 2
        plt.close(figure)


# --- numerics --------------------------------------------------------------------


def test_derivative_is_exact_for_quadratics_and_second_order_on_uneven_grids():
    x = np.cumsum(np.r_[0.0, 0.05 + 0.03 * np.abs(np.sin(np.arange(40)))])
    quadratic = xr.DataArray(3 * x**2 - 2 * x + 1, coords={"dT": x}, dims="dT", name="J_F")
    np.testing.assert_allclose(numerics.derivative(quadratic, "dT").values, 6 * x - 2, rtol=0, atol=1e-9)

    errors = []
    for count in (21, 41, 81):
        grid = np.linspace(0.0, 2.0, count)
        f = xr.DataArray(np.sin(3 * grid), coords={"dT": grid}, dims="dT")
        errors.append(np.max(np.abs(numerics.derivative(f, "dT").values - 3 * np.cos(3 * grid))))
    assert 3.0 < errors[0] / errors[1] < 5.0 and 3.0 < errors[1] / errors[2] < 5.0  # O(h²)

    with pytest.raises(ValueError, match="3 points"):
        numerics.derivative(xr.DataArray([1.0, 2.0], coords={"dT": [0.0, 1.0]}, dims="dT"), "dT")


def test_thermal_conductance_finds_the_negative_polarity():
    dT = np.linspace(0.05, 3.0, 60)
    J_F = dT + 0.1 * dT**2
    J_B = -(dT * np.exp(-dT / 1.5))               # |J_B| peaks at ΔT = 1.5, then falls
    line = xr.Dataset({"I_F": ("dT", 0 * dT), "I_B": ("dT", 0 * dT), "J_F": ("dT", J_F), "J_B": ("dT", J_B)},
                      coords={"dT": dT})
    kappa = panels.thermal_conductance(line)
    np.testing.assert_allclose(kappa["kappa_B"].values, -np.gradient(J_B, dT, edge_order=2))
    exact = np.exp(-dT / 1.5) * (1 - dT / 1.5)
    assert np.max(np.abs(kappa["kappa_B"].values - exact)) < 2e-3
    text = "\n".join(panels.thermal_conductance_summary(line))
    assert "F: dJ^F/dΔT ≥ 0" in text
    assert "B: thermal differential conductance −dJ^B/dΔT < 0" in text and "from ΔT = 1.55" in text


def test_find_extremum_is_exact_on_a_quadratic_surface():
    g, a = np.linspace(0.5, 5.0, 19), np.linspace(-5, 5, 21)
    G, A = np.meshgrid(g, a, indexing="ij")
    surface = 1.0 - (G - 2.47) ** 2 - 0.5 * (A + 1.33) ** 2 + 0.3 * (G - 2.47) * (A + 1.33)
    values = xr.DataArray(surface, coords={"gamma": g, "asymmetry": a}, dims=("gamma", "asymmetry"))
    best = numerics.find_extremum(values)
    assert best.position["gamma"] == pytest.approx(2.47, abs=1e-9)
    assert best.position["asymmetry"] == pytest.approx(-1.33, abs=1e-9)
    assert best.value == pytest.approx(1.0, abs=1e-12)
    assert best.grid_position == {"gamma": 2.5, "asymmetry": -1.5} and best.edge_axes == ()
    low = numerics.find_extremum(-values, kind="min")
    assert low.position["gamma"] == pytest.approx(2.47, abs=1e-9) and low.value == pytest.approx(-1.0)


def test_find_extremum_flags_a_maximum_at_the_edge():
    x = np.linspace(0, 1, 11)
    best = numerics.find_extremum(xr.DataArray(x**2, coords={"gamma": x}, dims="gamma"))
    assert best.edge_axes == ("gamma",) and best.position["gamma"] == 1.0 and best.refined_axes == ()
    assert "edge" in best.describe("I")


def test_fig2e_reports_the_maximum_over_gamma_below_the_grid_step(tmp_path):
    path = tmp_path / "fig2e.h5"
    write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA}, FIG2E_FIXED,
             field=lambda asymmetry, gamma: _fig2e_surface(gamma, asymmetry))
    ds = da.load(path)
    dense_g, dense_a = np.linspace(0.5, 5, 4501), np.linspace(-5, 5, 2001)
    truth = _fig2e_surface(dense_g[:, None], dense_a[None, :])
    k = np.unravel_index(np.argmax(truth), truth.shape)
    summary = panels.fig2e_summary(ds)
    best = summary["maximum"]
    # A Gaussian, not a quadratic: the fit is good to a small fraction of the step (0.25, 0.5).
    assert abs(best.position["gamma"] - dense_g[k[0]]) < 0.03
    assert abs(best.position["asymmetry"] - dense_a[k[1]]) < 0.05
    assert best.value == pytest.approx(truth[k], rel=2e-3)
    assert best.grid_position["gamma"] == 2.5
    ridge = summary["ridge"]
    assert ridge["position"].dims == ("asymmetry",)
    assert ridge["position"].sel(asymmetry=-1.5).item() == pytest.approx(2.47, abs=0.03)


# --- command line -----------------------------------------------------------------


def test_cut_writes_the_nearest_line_as_csv_and_figure(tmp_path, capsys):
    path = tmp_path / "c.h5"
    written = write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA, "dT": [0.5, 1.0]}, FIG2E_FIXED, extras=True)
    status = main(["cut", str(path), "--axis", "gamma", "--at", "asymmetry=1.1", "--at", "dT=0.9",
                   "-o", str(tmp_path / "o"), "--csv", "--formats", "png"])
    assert status == 0
    out = capsys.readouterr()
    files = [Path(p) for p in out.out.split()]
    assert {p.suffix for p in files} == {".png", ".csv"}
    assert "at dT = 1, asymmetry = 1 (nearest grid values)" in out.err
    csv = next(p for p in files if p.suffix == ".csv")
    header = csv.read_text().splitlines()[1].split(",")
    assert header[:3] == ["gamma", "I_F", "I_B"] and "I_lin_F" in header and "status_B" in header
    table = np.loadtxt(csv, delimiter=",", skiprows=2)
    np.testing.assert_allclose(table[:, 0], GAMMA)
    np.testing.assert_allclose(table[:, 1], written["I_F"][1, :, 12], rtol=1e-9)   # asymmetry index 12 = 1.0


@pytest.mark.parametrize("arguments, message", [
    (["--axis", "gamma", "--at", "asymmetry=1"], "dT"),
    (["--axis", "eps1"], "not an axis"),
    (["--axis", "gamma", "--at", "dT=1", "--at", "asymmetry"], "KEY=VALUE"),
])
def test_cut_rejects_incomplete_or_bad_cuts(tmp_path, capsys, arguments, message):
    path = tmp_path / "c.h5"
    write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA, "dT": [0.5, 1.0]}, FIG2E_FIXED)
    assert main(["cut", str(path), *arguments, "-o", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_plot_makes_fig2e_and_prints_the_maximum(tmp_path, capsys):
    path = tmp_path / "fig2e.h5"
    write_nd(path, {"asymmetry": ASYM, "gamma": GAMMA}, FIG2E_FIXED,
             field=lambda asymmetry, gamma: _fig2e_surface(gamma, asymmetry))
    assert main(["plot", str(path), "-o", str(tmp_path), "--formats", "png"]) == 0
    out = capsys.readouterr()
    assert [Path(p).name for p in out.out.split()] == ["fig2e.png", "fig2e_summary.txt"]
    assert "maximum of I = 0.0" in out.err and "the maximum of I over gamma lies at gamma = 2.4" in out.err
    assert "maximum of I" in (tmp_path / "fig2e_summary.txt").read_text()


def test_plot_of_a_dT_line_makes_fig3fg(tmp_path, capsys):
    path = tmp_path / "fg.h5"
    write_nd(path, {"dT": np.linspace(0.1, 3, 30)}, {"mu": 40.0, "eps1": 46.648, "eps3": 48.2}, extras=True)
    assert main(["plot", str(path), "-o", str(tmp_path), "--formats", "png"]) == 0
    out = capsys.readouterr()
    assert [Path(p).name for p in out.out.split()] == ["fg.png", "fg_summary.txt"]
    assert "Fig. 3(g)" in out.err and "numpy.gradient" in out.err


def test_plot_of_three_axes_makes_one_figure_per_outer_slice_and_caps_them(tmp_path, capsys):
    path = tmp_path / "n.h5"
    write_nd(path, {"eps1": [39.0, 40.0, 41.0], "lambda": [0.0, 0.5, 1.0], "gamma": [1.0, 2.0, 3.0, 4.0]},
             {"mu": 40.0, "eps3": 44.0})
    assert main(["plot", str(path), "-o", str(tmp_path), "--formats", "png"]) == 0
    names = sorted(Path(p).name for p in capsys.readouterr().out.split())
    assert names == [f"n_gamma{g}.png" for g in (1, 2, 3, 4)]
    assert main(["plot", str(path), "-o", str(tmp_path / "cap"), "--formats", "png", "--max-figures", "2"]) == 0
    out = capsys.readouterr()
    assert sorted(Path(p).name for p in out.out.split()) == ["n_gamma1.png", "n_gamma4.png"]
    assert "4 slices" in out.err and "--max-figures 2" in out.err


def test_plot_of_a_single_axis_makes_lines_and_a_classic_map_with_fixed_dT_keeps_the_paper_layout(tmp_path, capsys):
    line = tmp_path / "l.h5"
    write_nd(line, {"gamma": [1.0, 2.0, 3.0]}, {"mu": 40.0, "eps1": 45.0, "eps3": 44.0, "dT": 1.0})
    assert main(["plot", str(line), "-o", str(tmp_path), "--formats", "png"]) == 0
    assert [Path(p).name for p in capsys.readouterr().out.split()] == ["l.png"]
    classic = tmp_path / "m.h5"
    write_nd(classic, {"eps1": np.linspace(30, 55, 26), "eps3": np.linspace(32, 52, 21)},
             {"mu": 40.0, "gamma": 3.0, "lambda": 1.0, "dT": 1.0}, extras=True)
    assert main(["plot", str(classic), "-o", str(tmp_path), "--formats", "png", "--dT", "2"]) == 0
    out = capsys.readouterr()
    assert [Path(p).name for p in out.out.split()] == ["m_dT1.png"]
    assert "--dT ignored" in out.err


def test_the_paper_figure_draws_the_reference_curves_from_the_extras(tmp_path):
    path = tmp_path / "m.h5"
    write_nd(path, {"eps1": np.linspace(30, 55, 26), "eps3": np.linspace(32, 52, 21), "dT": [1.0]},
             {"mu": 40.0, "gamma": 3.0, "lambda": 1.0}, extras=True)
    ds = da.load(path)
    figure = da.paper_figure(ds)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert any("lin" in label for label in labels) and not any("equilibrium" in label for label in labels)
    plt.close(figure)
    with h5py.File(path, "r+") as f:
        f.attrs["screening"] = np.int64(1)
    figure = da.paper_figure(da.load(path))
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert sum("equilibrium transmission" in label for label in labels) == 2
    plt.close(figure)


# --- scripts/paper.sh ---------------------------------------------------------------


def _paper(*arguments, out=None):
    environment = dict(os.environ, DIODESCAN_BIN="/bin/true")
    if out is not None:
        environment["PAPER_OUT"] = str(out)
    return subprocess.run(["bash", str(REPOSITORY / "scripts" / "paper.sh"), *arguments],
                          capture_output=True, text=True, env=environment, timeout=60)


def test_paper_script_lists_every_panel_of_figures_2_to_4():
    result = _paper("--list")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    panels_listed = {f"{fig}({letter})" for fig, letters in (("2", "abcde"), ("3", "abcdefg"), ("4", "abcd"))
                     for letter in letters}
    flat = text.replace(", ", " ").replace("Fig. ", "")
    missing = [p for p in panels_listed if p not in flat]
    assert not missing, missing
    for job in ("jobs/fig2.toml", "jobs/fig2e.toml", "jobs/fig3.toml", "jobs/fig3fg.toml", "jobs/fig4.toml"):
        assert job in text and (REPOSITORY / job).is_file()


def test_paper_script_dry_run_resumes_existing_outputs_only(tmp_path):
    (tmp_path / "fig3.h5").write_bytes(b"")
    result = _paper("--dry-run", out=tmp_path)
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stderr.splitlines() if line.startswith("+ ")]
    scans = [line for line in commands if " scan " in line]
    assert len(scans) == 5
    assert [line for line in scans if "--resume" in line] == [f"+ /bin/true scan jobs/fig3.toml --output {tmp_path}/fig3.h5 --resume"]
    assert any("spectrum --eps1 46.648 --eps3 48.2" in line for line in commands)
    assert not list(tmp_path.glob("paper")), "a dry run must not create anything"


def test_paper_script_rejects_unknown_options():
    assert _paper("--bogus").returncode == 2


# --- `points`: the point-by-point scan, against the real scan -------------------------

TINY_JOB = """title = "points cross-check"
[model]
mu = 40.0
gamma = 3.0
lambda = 1.0
screening = false
[grid]
eps1 = [35.0, 38.0, 44.0]
eps3 = [44.8, 48.7]
dT = [1.0]
[output]
file = "tiny.h5"
"""


def test_points_agree_with_the_scan_and_write_the_convention(tmp_path):
    binary, reason = diodescan_binary()
    if binary is None:
        pytest.skip(f"no diodescan binary: {reason}")
    job = tmp_path / "tiny.toml"
    job.write_text(TINY_JOB)
    environment = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    scan = subprocess.run([binary, "scan", job, "--output", tmp_path / "scan.h5", "--quiet"],
                          capture_output=True, text=True, env=environment, timeout=300, cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    assert main(["points", str(job), "--output", str(tmp_path / "points.h5"), "--diodescan", str(binary)]) == 0
    scanned, pointed = da.load(tmp_path / "scan.h5"), da.load(tmp_path / "points.h5")
    assert pointed["I_F"].dims == scanned["I_F"].dims == ("dT", "eps3", "eps1")
    for name in ("I_F", "I_B", "J_F", "J_B", "R_I", "R_J"):
        np.testing.assert_allclose(pointed[name].values, scanned[name].values, rtol=1e-7, atol=1e-12, err_msg=name)
    # At the Fig. 2 bipolar point the linear response is −I_lin^B (docs/physics.md §10.2).
    np.testing.assert_allclose(pointed["I_lin_F"].values, -pointed["I_lin_B"].values, rtol=1e-12)
    assert bool(pointed["converged"].all())


def test_paper_script_reports_failed_steps_continues_and_exits_nonzero(tmp_path):
    fake = tmp_path / "diodescan"
    fake.write_text("#!/bin/sh\necho \"fake diodescan: refused $1\" >&2\nexit 3\n")
    fake.chmod(0o755)
    environment = dict(os.environ, DIODESCAN_BIN=str(fake), PAPER_OUT=str(tmp_path / "out"),
                       PAPER_GALLERY=str(tmp_path / "gallery"))
    result = subprocess.run(["bash", str(REPOSITORY / "scripts" / "paper.sh"), "--no-setup"],
                            capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 1, result.stderr
    err = result.stderr
    for step in ("jobs/fig2.toml", "jobs/fig2e.toml", "jobs/fig3.toml", "spectrum", "jobs/fig3fg.toml", "jobs/fig4.toml"):
        assert f"step 'scan {step}' failed (status 3)" in err or f"step '{step}" in err or \
            (step == "spectrum" and "step 'spectrum star' failed (status 3)" in err), step
    assert "fallback: fig2e" in err and "fallback: fig3fg" in err   # the point fallback was tried
    assert "FAILED: fig2 scan fig2e (scan and point fallback) fig3 scan fig3e spectrum" in err
    assert not list((tmp_path / "gallery").glob("*.png"))


def test_plot_of_maps_over_an_extra_axis_uses_the_paper_layout_per_slice(tmp_path, capsys):
    path = tmp_path / "g.h5"
    write_nd(path, {"eps1": np.linspace(30, 55, 11), "eps3": np.linspace(30, 55, 11), "gamma": [1.0, 3.0]},
             {"mu": 40.0, "lambda": 1.0, "dT": 1.0})
    assert main(["plot", str(path), "-o", str(tmp_path), "--formats", "png"]) == 0
    assert sorted(Path(p).name for p in capsys.readouterr().out.split()) == ["g_gamma1.png", "g_gamma3.png"]


FIG2E_SMALL_JOB = """title = "Fig. 2(e) around its maximum"
[model]
mu = 40.0
lambda = 1.0
screening = false
dT = 1.0
detuning = 0.0
[grid]
asymmetry = [-3.5, -3.0, -2.5, -2.0]
gamma = {{ from = 1.5, to = 3.5, count = 9 }}
[output]
file = "fig2e-small.h5"
"""


def test_the_real_fig2e_maximum_over_gamma_is_near_2_5_not_2(tmp_path, capsys):
    """Issue 14: an independent solver puts the maximum of I over Γ at Γ ≈ 2.5, not exactly 2."""
    binary, reason = diodescan_binary()
    if binary is None:
        pytest.skip(f"no diodescan binary: {reason}")
    job = tmp_path / "fig2e-small.toml"
    job.write_text(FIG2E_SMALL_JOB.format())
    output = tmp_path / "fig2e-small.h5"
    assert main(["points", str(job), "--output", str(output), "--diodescan", str(binary)]) == 0
    ds = da.load(output)
    assert ds.diode.axes == ("gamma", "asymmetry")
    np.testing.assert_allclose(ds["eps1"].values + ds["eps3"].values, 80.0)   # on the antisymmetric line
    summary = panels.fig2e_summary(ds)
    best = summary["maximum"]
    assert best.edge_axes == () and set(best.refined_axes) == {"gamma", "asymmetry"}
    assert 2.4 < best.position["gamma"] < 2.75, best.describe("I")   # step 0.25: refined, not a grid value
    assert best.position["gamma"] not in ds["gamma"].values
    assert -3.0 < best.position["asymmetry"] < -2.3
    assert summary["max_relative_F_minus_B"] < 1e-6                   # I^F = I^B on the line
    # The maximum over Γ on the grid line nearest it agrees with the surface fit.
    line = ds.diode.cut(asymmetry=-2.5)["I_F"]
    assert numerics.find_extremum(line).position["gamma"] == pytest.approx(best.position["gamma"], abs=0.1)
