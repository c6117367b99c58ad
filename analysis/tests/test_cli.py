"""`python -m diodescan_analysis plot|info`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diodescan_analysis.cli import main

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def test_plot_writes_png_and_pdf_for_every_dT_and_an_overview(result_file, tmp_path, capsys):
    assert main(["plot", str(result_file.path), "-o", str(tmp_path / "figures")]) == 0
    stem = result_file.path.stem
    expected = {f"{stem}_dT0.5", f"{stem}_dT1", f"{stem}_dT-overview"}
    written = {Path(line) for line in capsys.readouterr().out.split()}
    assert {path.name for path in written} == {f"{name}.{ext}" for name in expected for ext in ("png", "pdf")}
    for path in written:
        assert path.stat().st_size > 1000, path


def test_plot_with_dT_and_cut_overrides_writes_one_figure(synthetic_file, tmp_path, capsys):
    status = main([
        "plot", str(synthetic_file.path), "-o", str(tmp_path), "--dT", "0.6",
        "--cut-particle", "2", "--cut-heat", "-3", "--formats", "png", "--rj-limit", "auto",
    ])
    assert status == 0
    written = capsys.readouterr().out.split()
    assert [Path(p).name for p in written] == [f"{synthetic_file.path.stem}_dT0.5.png"]


def test_info_summarises_grid_parameters_and_status(result_file, capsys):
    assert main(["info", str(result_file.path)]) == 0
    out = capsys.readouterr().out
    assert "eps1" in out and "26 values" in out and "21 values" in out
    assert "λ = 1" in out and "μ = 40" in out
    assert "title: analysis test scan" in out or result_file.kind == "synthetic"
    assert "non-converged points (F or B):" in out
    if result_file.kind == "synthetic":
        assert "non-converged points (F or B): 2" in out  # the status-3 point is converged
        assert "1 converged, multiple solutions" in out
        assert "tiles done: 41 / 42" in out


def test_missing_file_exits_with_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["info", str(tmp_path / "absent.h5")])
    assert exit_info.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_a_file_that_is_not_hdf5_exits_with_status_2(tmp_path, capsys):
    path = tmp_path / "not.h5"
    path.write_text("not hdf5")
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(path)])
    assert exit_info.value.code == 2
    assert "cannot read" in capsys.readouterr().err


def test_runs_as_a_module_in_place(synthetic_file, tmp_path):
    environment = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT), MPLBACKEND="")
    result = subprocess.run(
        [sys.executable, "-m", "diodescan_analysis", "plot", str(synthetic_file.path),
         "-o", str(tmp_path), "--dT", "1", "--formats", "png"],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"{synthetic_file.path.stem}_dT1.png").stat().st_size > 1000


def test_a_bad_rj_limit_is_a_usage_error(synthetic_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(synthetic_file.path), "-o", str(tmp_path), "--rj-limit", "-1"])
    assert exit_info.value.code == 2
    assert "--rj-limit" in capsys.readouterr().err
