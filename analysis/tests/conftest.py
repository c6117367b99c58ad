"""Fixtures: result files to test the analysis tools on.

* ``synthetic_file``: written with h5py in exactly the layout of
  ``docs/ARCHITECTURE.md``, with known defects (see ``synthetic.py``).
* ``diodescan_file``: produced during the test run by the real program,
  ``$DIODESCAN_BIN scan <small job> --output <tmp>`` (``scripts/test.sh`` sets
  ``DIODESCAN_BIN`` to the release binary; otherwise the binary of
  ``swift build --show-bin-path`` in release, then debug). Skipped, with the
  reason, when no binary is built or it has no ``scan`` subcommand.
* ``diodescan_deflate_file``: the same scan with ``[output] compression =
  "deflate"`` (chunked, shuffle + deflate instead of contiguous).
* ``result_file``: all of the above, so every loader and plot test runs on
  the synthetic file and on the real one, uncompressed and compressed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from synthetic import SyntheticSpec, write_synthetic

REPOSITORY = Path(__file__).resolve().parents[2]

#: A small but real scan: the Fig. 2 model (λ = 1, no screening, Γ = 3,
#: μ = 40), coarse enough to take well under a second in a release build,
#: wide enough to contain both paper cuts and the bipolar region, with two ΔT.
SMALL_JOB = """title = "analysis test scan (Fig. 2 model, coarse)"
[model]
mu = 40.0
gamma = 3.0
lambda = 1.0
d = 1.0
screening = false
[grid]
eps1 = { from = 30.0, to = 55.0, count = 26 }
eps3 = { from = 32.0, to = 52.0, count = 21 }
dT   = [0.5, 1.0]
[output]
file = "analysis-test.h5"
"""


@dataclass(frozen=True)
class ResultFile:
    """A result file and what the test knows about how it was made."""

    path: Path
    kind: str  # "synthetic" or "diodescan"
    mu: float
    lambda_: float
    screening: bool
    eps1: np.ndarray
    eps3: np.ndarray
    dT: np.ndarray


@pytest.fixture(scope="session")
def synthetic_file(tmp_path_factory) -> ResultFile:
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.h5"
    spec = write_synthetic(path, SyntheticSpec())
    return ResultFile(path, "synthetic", spec.mu, spec.lam, spec.screening, spec.eps1, spec.eps3, spec.dT)


@pytest.fixture(scope="session")
def synthetic_spec() -> SyntheticSpec:
    return SyntheticSpec()


def diodescan_binary() -> tuple[Path | None, str]:
    """The diodescan executable to test against, or None and why there is none."""
    explicit = os.environ.get("DIODESCAN_BIN")
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path, ""
        return None, f"DIODESCAN_BIN={explicit} is not an executable file"
    if shutil.which("swift") is None:
        return None, "DIODESCAN_BIN is unset and swift is not on PATH"
    reasons = []
    for configuration in ("release", "debug"):
        try:
            result = subprocess.run(
                ["swift", "build", "-c", configuration, "--show-bin-path"],
                cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            reasons.append(f"swift build --show-bin-path failed: {error}")
            continue
        candidate = Path(result.stdout.strip()) / "diodescan"
        if result.returncode == 0 and candidate.is_file():
            return candidate, ""
        reasons.append(f"no {configuration} build at {candidate}")
    return None, "; ".join(reasons) + " (build with `swift build -c release` or set DIODESCAN_BIN)"


def _scan(tmp_path_factory, compression: str) -> ResultFile:
    """Run the small job with ``[output] compression = <compression>``."""
    binary, reason = diodescan_binary()
    if binary is None:
        pytest.skip(f"no diodescan binary: {reason}")
    # Without a `scan` subcommand, `diodescan scan --help` prints the root help.
    probe = subprocess.run([binary, "scan", "--help"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0 or "diodescan scan" not in probe.stdout + probe.stderr:
        pytest.skip(f"{binary} has no `scan` subcommand yet (issue 4); only the synthetic file is tested")

    directory = tmp_path_factory.mktemp("diodescan")
    job = directory / "small.toml"
    job.write_text(SMALL_JOB + f'compression = "{compression}"\n')
    output = directory / "small.h5"
    environment = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    result = subprocess.run(
        [binary, "scan", job, "--output", output, "--quiet"],
        cwd=directory, capture_output=True, text=True, timeout=600, env=environment,
    )
    assert result.returncode == 0, (
        f"diodescan scan failed with status {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert output.is_file(), f"diodescan scan exited 0 but wrote no {output}"
    return ResultFile(
        output, "diodescan", mu=40.0, lambda_=1.0, screening=False,
        eps1=np.linspace(30.0, 55.0, 26), eps3=np.linspace(32.0, 52.0, 21), dT=np.array([0.5, 1.0]),
    )


@pytest.fixture(scope="session")
def diodescan_file(tmp_path_factory) -> ResultFile:
    """A real scan, finished uncompressed (the default)."""
    return _scan(tmp_path_factory, "none")


@pytest.fixture(scope="session")
def diodescan_deflate_file(tmp_path_factory) -> ResultFile:
    """The same scan, finished chunked and deflate-compressed."""
    return _scan(tmp_path_factory, "deflate")


@pytest.fixture(scope="session", params=["synthetic", "diodescan", "diodescan_deflate"])
def result_file(request) -> ResultFile:
    return request.getfixturevalue(f"{request.param}_file")
