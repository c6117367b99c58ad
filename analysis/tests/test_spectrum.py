"""``diodescan spectrum --output``: the HDF5 file opens in h5py and xarray with
its energy coordinate, and the analysis helpers load and plot it."""

from __future__ import annotations

import json
import subprocess

import h5py
import numpy as np
import pytest
import xarray as xr

from conftest import diodescan_binary
from diodescan_analysis import SPECTRUM_KIND, integrate_spectrum, load_spectrum, plot_spectrum


def _binary():
    binary, reason = diodescan_binary()
    if binary is None:
        pytest.skip(f"no diodescan binary: {reason}")
    probe = subprocess.run([binary, "spectrum", "--help"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0 or "--emin" not in probe.stdout:
        pytest.skip(f"{binary} has no `spectrum` subcommand")
    return binary


def _spectrum(tmp_path, name, arguments):
    path = tmp_path / name
    result = subprocess.run([_binary(), "spectrum", "--output", path, "--json", *arguments],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return path, json.loads(result.stdout)


def test_screened_spectrum_opens_with_its_energy_coordinate(tmp_path):
    path, report = _spectrum(tmp_path, "star.h5", [
        "--eps1", "46.648", "--eps3", "48.2", "--gamma", "1", "--screening", "--reference",
        "--emin", "30", "--emax", "60", "--count", "301"])
    with h5py.File(path, "r") as handle:
        assert handle.attrs["file_kind"] == SPECTRUM_KIND
        assert handle["energy"].shape == (301,)
        assert handle["nu_L_F"].shape == (301, 3)
        assert handle["T_LR_eq"].attrs["units"] == "1"
        assert handle.attrs["I_F"] == pytest.approx(report["forward"]["I"], rel=0, abs=0)
        assert handle.attrs["I_lin_B"] == report["backward"]["I_lin"]
    dataset = xr.open_dataset(path, engine="h5netcdf")
    try:
        assert dataset["T_LR_F"].dims == ("energy",)
        assert dataset["nu_p_B"].dims == ("energy", "region")
        assert list(dataset["region"].values) == [1, 2, 3]
        np.testing.assert_allclose(dataset["energy"].values, np.linspace(30, 60, 301), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(dataset["T_LR_F"].values, report["spectra"]["forward"]["T_LR"])
        assert dataset["spectral_J_L_F"].attrs["units"] == "k_B T/h"
    finally:
        dataset.close()
    loaded = load_spectrum(path)
    assert loaded.attrs["screening"] == 1
    figure = plot_spectrum(loaded)
    assert len(figure.axes[0].lines) == 3
    figure.savefig(tmp_path / "star.png")


def test_spectral_current_integrates_to_the_current(tmp_path):
    # Smooth spectrum (λ = 1, Γ = 3: no Fabry-Pérot states), a fine grid over the default window.
    path, report = _spectrum(tmp_path, "fig2.h5", [
        "--eps1", "45", "--eps3", "48.2", "--gamma", "3", "--lambda", "1", "--count", "40001"])
    dataset = load_spectrum(path)
    for suffix, key in [("F", "forward"), ("B", "backward")]:
        assert integrate_spectrum(dataset, f"spectral_I_L_{suffix}") == pytest.approx(report[key]["I"], rel=1e-6)
        assert integrate_spectrum(dataset, f"spectral_J_L_{suffix}") == pytest.approx(report[key]["J"], rel=1e-6)
        assert abs(integrate_spectrum(dataset, f"spectral_I_p_{suffix}")) < 1e-6 * abs(report[key]["I"])
    assert "nu_L_F" not in dataset


def test_load_spectrum_rejects_a_scan_file(synthetic_file):
    with pytest.raises(ValueError, match="not a diodescan spectrum file"):
        load_spectrum(synthetic_file.path)


def test_cli_plots_a_spectrum_file(tmp_path, capsys):
    from diodescan_analysis.cli import main

    path, _ = _spectrum(tmp_path, "plain.h5", [
        "--eps1", "45", "--eps3", "48.2", "--gamma", "1", "--count", "201", "--emin", "30", "--emax", "60"])
    assert main(["spectrum", str(path), "-o", str(tmp_path / "fig"), "--formats", "png"]) == 0
    written = capsys.readouterr().out.split()
    assert written == [str(tmp_path / "fig" / "plain_spectrum.png")]
    assert (tmp_path / "fig" / "plain_spectrum.png").stat().st_size > 0
    assert main(["spectrum", str(path), "-o", str(tmp_path / "fig"), "--quantities", "nu_L"]) == 2
    assert "no dataset nu_L" in capsys.readouterr().err


def test_cli_rejects_a_scan_file_as_spectrum(synthetic_file, tmp_path, capsys):
    from diodescan_analysis.cli import main

    assert main(["spectrum", str(synthetic_file.path), "-o", str(tmp_path)]) == 2
    assert "not a diodescan spectrum file" in capsys.readouterr().err
