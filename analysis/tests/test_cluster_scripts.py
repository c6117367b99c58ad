"""The batch scripts of cluster/ run against fake schedulers and a fake scan.

The fakes stand in for srun/mpirun (pass the command through), scontrol/qsub
(log the request) and diodescan (log its arguments; on SIGUSR1 or SIGTERM write a
partial file and exit 138 or 143 like the real scan, else finish and exit
0). They check the
scripts' own logic: the thread count handed to the scan, the forwarded warning
signal, requeue/resubmission only after a time-limit warning, and --resume
when the output exists. The last test runs the Slurm script with the real
diodescan under mpirun (one rank): the forwarded signal stops the scan with
a resumable file, and the requeued run resumes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SBATCH = REPOSITORY / "cluster" / "slurm" / "diodescan.sbatch"
PBS = REPOSITORY / "cluster" / "pbs" / "diodescan.pbs"

FAKE_SCAN = """#!/usr/bin/env bash
echo "diodescan $*" >> "$FAKE_LOG"
out=""; prev=""; for a in "$@"; do [ "$prev" = --output ] && out=$a; prev=$a; done
trap 'echo partial > "$out"; echo "stopped 138" >> "$FAKE_LOG"; exit 138' USR1
trap 'echo partial > "$out"; echo "stopped 143" >> "$FAKE_LOG"; exit 143' TERM
for i in $(seq 1 "${FAKE_STEPS:-100}"); do sleep 0.05; done
echo complete > "$out"; exit 0
"""
FAKE_SRUN = """#!/usr/bin/env bash
echo "srun $* SRUN_CPUS_PER_TASK=$SRUN_CPUS_PER_TASK" >> "$FAKE_LOG"
while [[ "$1" == --* ]]; do shift; done
exec "$@"
"""
FAKE_MPIRUN = """#!/usr/bin/env bash
echo "mpirun $*" >> "$FAKE_LOG"
while [[ "$1" == -* ]]; do shift 2; done
exec "$@"
"""
FAKE_LOGGER = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$FAKE_LOG"
"""

JOB = """title = "t"
[model]
gamma = 1.0
[grid]
eps1 = [40.0]
eps3 = [40.0]
dT = [1.0]
[output]   # where the scan writes
file = "out/scan.h5"
"""


@pytest.fixture
def bench(tmp_path):
    fakes = tmp_path / "bin"
    fakes.mkdir()
    for name, text in (("diodescan", FAKE_SCAN), ("srun", FAKE_SRUN), ("mpirun", FAKE_MPIRUN),
                       ("scontrol", FAKE_LOGGER), ("qsub", FAKE_LOGGER)):
        (fakes / name).write_text(text)
        (fakes / name).chmod(0o755)
    (tmp_path / "job.toml").write_text(JOB)
    (tmp_path / "nodes").write_text("node1\nnode1\nnode2\nnode2\n")
    log = tmp_path / "log"
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("SLURM_", "PBS_", "SRUN_"))
    }
    environment.update(PATH=f"{fakes}:{os.environ['PATH']}", FAKE_LOG=str(log))
    return tmp_path, environment, log


def _run(script, cwd, environment, *, arguments=(), interrupt=None, after=0.8):
    process = subprocess.Popen(
        ["bash", str(script), *arguments], cwd=cwd, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if interrupt is not None:
        time.sleep(after)
        process.send_signal(interrupt)
    out, err = process.communicate(timeout=60)
    return process.returncode, err


SLURM = {"SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "3", "SLURM_NTASKS": "4",
         "SLURM_JOB_NUM_NODES": "2", "SLURM_NTASKS_PER_NODE": "2"}


def test_slurm_forwards_the_warning_requeues_and_resumes(bench):
    directory, environment, log = bench
    environment.update(SLURM)
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml"], interrupt=signal.SIGUSR1)
    assert status == 0, err
    assert (directory / "out" / "scan.h5").read_text() == "partial\n"
    lines = log.read_text().splitlines()
    assert lines[0].startswith("srun --mpi=pmix") and lines[0].endswith("SRUN_CPUS_PER_TASK=3")
    assert lines[1] == "diodescan scan job.toml --output out/scan.h5 --threads 3"
    assert lines[2:] == ["stopped 138", "scontrol requeue 7"]

    log.unlink()
    environment.update(SLURM_RESTART_COUNT="1", FAKE_STEPS="2")
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml"])
    assert status == 0, err
    assert log.read_text().splitlines()[1] == "diodescan scan job.toml --output out/scan.h5 --threads 3 --resume"
    assert (directory / "out" / "scan.h5").read_text() == "complete\n"


def test_slurm_does_not_requeue_after_a_bare_sigterm(bench):
    """TERM without the warning is scancel: forwarded as TERM, the file kept, no requeue, exit 143."""
    directory, environment, log = bench
    environment.update(SLURM)
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml", "other.h5"],
                       interrupt=signal.SIGTERM)
    assert status == 143, err
    assert "stopped 143" in log.read_text() and "scontrol" not in log.read_text()
    assert (directory / "other.h5").read_text() == "partial\n"
    assert "resume with" in err


def test_slurm_with_mpirun_maps_ranks_and_threads(bench):
    directory, environment, log = bench
    environment.update(SLURM, LAUNCHER="mpirun", FAKE_STEPS="2")
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml"])
    assert status == 0, err
    first = log.read_text().splitlines()[0]
    assert first.startswith("mpirun -np 4 --map-by ppr:2:node:PE=3 --bind-to core")


def test_slurm_threads_default_to_the_cpus_of_a_node_shared_by_its_ranks(bench):
    """Without --cpus-per-task (the script's default: whole nodes), threads = CPUs of the smallest node / ranks."""
    directory, environment, log = bench
    environment.update(SLURM, FAKE_STEPS="2", SLURM_JOB_CPUS_PER_NODE="8(x2),6", SLURM_TASKS_PER_NODE="2(x3)")
    del environment["SLURM_CPUS_PER_TASK"]
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml"])
    assert status == 0, err
    lines = log.read_text().splitlines()
    assert lines[0].endswith("SRUN_CPUS_PER_TASK=3") and lines[1].endswith("--threads 3")


def test_slurm_fails_clearly_when_the_allocation_is_too_small(bench):
    directory, environment, log = bench
    environment.update(SLURM, SLURM_JOB_CPUS_PER_NODE="2", SLURM_TASKS_PER_NODE="4")
    del environment["SLURM_CPUS_PER_TASK"]
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml"])
    assert status == 2 and "4 ranks on a node of 2 CPUs leave no CPU per rank" in err
    assert not log.exists()

    environment.update(LAUNCHER="mpirun", SLURM_CPUS_PER_TASK="1", SLURM_TASKS_PER_NODE="2(x2),1")
    status, err = _run(SBATCH, directory, environment, arguments=["job.toml"])
    assert status == 2 and "LAUNCHER=mpirun needs as many ranks on every node" in err


def test_slurm_rejects_a_missing_job_file(bench):
    directory, environment, _ = bench
    environment.update(SLURM)
    status, err = _run(SBATCH, directory, environment, arguments=["absent.toml"])
    assert status == 2 and "no job file" in err


def test_pbs_stops_itself_before_the_walltime_and_resubmits(bench):
    directory, environment, log = bench
    environment.update(
        PBS_O_WORKDIR=str(directory), PBS_NODEFILE=str(directory / "nodes"), PBS_JOBID="42.server",
        JOB="job.toml", RANKS_PER_NODE="2", THREADS="5", WALLTIME_SECONDS="3", STOP_MARGIN="2",
    )
    status, err = _run(PBS, directory, environment)
    assert status == 0, err
    lines = log.read_text().splitlines()
    assert lines[0].startswith("mpirun -np 4 --hostfile ")
    assert "--map-by ppr:2:node:PE=5 --bind-to core" in lines[0]
    assert lines[1] == "diodescan scan job.toml --output out/scan.h5 --threads 5"
    assert lines[2] == "stopped 138"
    assert lines[3].startswith("qsub -v JOB=job.toml,OUTPUT=out/scan.h5,") and "RESUBMIT_COUNT=1" in lines[3]

    log.unlink()
    environment.update(RESUBMIT_COUNT="1", FAKE_STEPS="2", WALLTIME_SECONDS="100")
    status, err = _run(PBS, directory, environment)
    assert status == 0, err
    assert log.read_text().splitlines()[1].endswith("--threads 5 --resume")
    assert (directory / "out" / "scan.h5").read_text() == "complete\n"


# --- the Slurm script with the real program under mpirun ----------------------

# Screening solves (~10 ms a point here) keep this small scan running for
# several seconds on one thread, long enough to be interrupted mid-way.
REAL_JOB = """title = "batch-script signal test (Fig. 4 model)"
[model]
mu = 40.0
gamma = 1.0
lambda = 1.0
screening = true
[grid]
eps1 = { from = 30.0, to = 54.0, count = 41 }
eps3 = { from = 34.0, to = 54.0, count = 21 }
dT = [1.0]
[output]
file = "out/real.h5"
"""


def _tiles(path):
    """Finished and total tiles, read without the lock a running scan holds."""
    import h5py

    try:
        with h5py.File(path, "r", locking=False) as f:
            flags = f["tile_done"][()]
            return int((flags == 1).sum()), int(flags.size)
    except (OSError, KeyError):
        return 0, 0


def _signal_after_progress(script, cwd, environment, output, signal_number, *, beyond):
    """Run the batch script; once more than `beyond` tiles are done, send the signal."""
    process = subprocess.Popen(["bash", str(script), "job.toml"], cwd=cwd, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if output.exists() and _tiles(output)[0] > beyond:
            break
        time.sleep(0.05)
    process.send_signal(signal_number)
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def test_slurm_script_stops_requeues_and_resumes_the_real_scan(bench):
    from conftest import diodescan_binary

    binary, reason = diodescan_binary()
    if binary is None:
        pytest.skip(f"no diodescan binary: {reason}")
    directory, environment, log = bench
    (directory / "job.toml").write_text(REAL_JOB)
    (directory / "bin" / "diodescan").unlink()  # the real program, not the fake
    environment.update(
        SLURM_JOB_ID="9", SLURM_CPUS_PER_TASK="1", SLURM_NTASKS="1", SLURM_JOB_NUM_NODES="1",
        SLURM_NTASKS_PER_NODE="1", LAUNCHER="mpirun", DIODESCAN=str(binary), SCAN_ARGS="--progress-interval 1",
        OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        # 5 ms per point (test only): the scan lasts ~4 s, long enough to be
        # signalled twice after tiles reach the file (written about once a second).
        DIODESCAN_TEST_POINT_DELAY="0.005",
    )
    output = directory / "out" / "real.h5"

    # The time-limit warning: the scan stops cleanly and the job is requeued.
    status, err = _signal_after_progress(SBATCH, directory, environment, output, signal.SIGUSR1, beyond=0)
    assert status == 0, err
    assert "stopped by SIGUSR1" in err and "requeueing" in err
    assert log.read_text().splitlines()[-1] == "scontrol requeue 9"
    first, total = _tiles(output)
    assert 0 < first < total

    # The requeued run resumes the same file; a bare TERM stops it without requeue.
    log.unlink()
    environment["SLURM_RESTART_COUNT"] = "1"
    status, err = _signal_after_progress(SBATCH, directory, environment, output, signal.SIGTERM, beyond=first)
    assert status == 143, err  # the script forwards TERM as it is
    assert "--resume" in err and "scontrol" not in log.read_text()
    second, _ = _tiles(output)
    assert first < second < total
