"""The figures: cut choice, and every figure renders to non-empty files."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import diodescan_analysis as da
from diodescan_analysis import plots


def test_paper_cuts_follow_the_model():
    thermalisation = da.ModelParameters(mu=40, gamma1=3, gamma3=3, lambda_=1, d=1, screening=False)
    screening = da.ModelParameters(mu=40, gamma1=1, gamma3=1, lambda_=0, d=1, screening=True)
    mixed = da.ModelParameters(mu=40, gamma1=1, gamma3=1, lambda_=1, d=1, screening=True)
    assert plots.paper_cuts(thermalisation) == plots.Cuts(particle=4.8, heat=8.7)
    assert plots.paper_cuts(screening) == plots.Cuts(particle=8.2, heat=7.5)
    assert plots.paper_cuts(mixed) == plots.Cuts(particle=8.2, heat=7.5)
    assert plots.paper_cuts(mixed, heat=3.0) == plots.Cuts(particle=8.2, heat=3.0)


def test_cuts_use_the_nearest_grid_line(result_file):
    ds = da.load(result_file.path)
    index, value = plots.nearest_eps3(ds, 4.8)
    lines = ds["x3"].values
    assert value == lines[index]
    assert abs(value - 4.8) == np.min(np.abs(lines - 4.8))


def test_a_cut_outside_the_grid_warns_and_uses_the_edge(result_file):
    ds = da.load(result_file.path)
    with pytest.warns(UserWarning, match="outside the grid"):
        index, value = plots.nearest_eps3(ds, 1000.0)
    assert index == len(ds["x3"]) - 1 and value == ds["x3"].values[-1]


def test_select_dT_picks_the_nearest_value_and_defaults_to_one(result_file):
    ds = da.load(result_file.path)
    assert float(plots.select_dT(ds)["dT"]) == 1.0
    assert float(plots.select_dT(ds, 0.6)["dT"]) == 0.5


def test_maps_draw_the_bipolar_contour_and_the_cut_line(result_file):
    ds = plots.select_dT(da.load(result_file.path), 1.0)
    figure, ax = plt.subplots()
    plots.plot_map(ax, ds, "R_I", cut=4.8)
    product = (ds["I_F"] * ds["I_B"]).values
    if np.nanmin(product) < 0 < np.nanmax(product):
        assert ax.collections, "I^F·I^B changes sign but no contour was drawn"
    assert any(np.allclose(line.get_ydata(), 4.8) for line in ax.get_lines())
    plt.close(figure)


@pytest.mark.parametrize("dT", [0.5, 1.0])
def test_paper_figure_renders(result_file, tmp_path, dT):
    figure = da.paper_figure(da.load(result_file.path), dT=dT)
    assert len(figure.axes) >= 4
    for extension in ("png", "pdf"):
        path = tmp_path / f"paper.{extension}"
        figure.savefig(path)
        assert path.stat().st_size > 1000
    plt.close(figure)


def test_dT_overview_renders(result_file, tmp_path):
    figure = da.dT_overview_figure(da.load(result_file.path), rj_limit=0.2)
    path = tmp_path / "overview.png"
    figure.savefig(path)
    assert path.stat().st_size > 1000
    plt.close(figure)


def test_a_single_eps3_line_still_renders(synthetic_file, tmp_path):
    """Degenerate grids (one line) must not break the contour code."""
    ds = da.load(synthetic_file.path).isel(eps3=[5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        figure = da.paper_figure(ds)
    figure.savefig(tmp_path / "line.png")
    plt.close(figure)


@pytest.mark.parametrize(
    ("values", "limit", "expected"),
    [([0.1, -0.152, np.nan], "auto", 0.2), ([0.0], "auto", 0.05), ([3.0], "auto", 1.0),
     ([0.1], 0.3, 0.3), ([0.1, -0.15], "auto", 0.15)],
)
def test_colour_limit(values, limit, expected):
    assert plots.colour_limit(values, limit) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [0.0, -1.0, "wide"])
def test_colour_limit_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        plots.colour_limit([0.1], bad)
