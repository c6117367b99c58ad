"""cluster/slurm/diodescan.sbatch submitted to a real (one-node) Slurm.

The module fixture brings up Debian's Slurm on this machine, everything under
a temporary directory: munged (as user munge, its own key and socket),
slurmctld and slurmd in the foreground (``-D``) with ``proctrack/linuxproc``,
``task/affinity``, ``select/cons_tres``, no accounting, ``cred_expire=10``
(a requeued job may start again after ~11 s) and the node line of
``slurmd -C``. The clients find it through ``SLURM_CONF``. Teardown cancels
what is left and stops the three daemons by their PIDs, also after a failure.

The jobs run the real diodescan (``DIODESCAN``), slowed to ~5 s per scan by
``DIODESCAN_TEST_POINT_DELAY`` so that they can be signalled mid-way, with
each launcher of the script (``LAUNCHER=srun``: ``srun --mpi=pmix``;
``LAUNCHER=mpirun``: Open MPI's mpirun inside the allocation), 2 ranks × 1
thread:

* the time-limit warning sent as Slurm sends it (``scancel --batch
  --signal=USR1``, to the batch shell only) → the script forwards it, the scan
  stops (138) keeping its finished tiles → ``scontrol requeue`` → the requeued
  job (``Restarts=1``, after ~11 s: ``cred_expire=10``) adds ``--resume`` and
  completes the file;
* ``scancel`` → the job ends ``CANCELLED`` with exit code 143 and is not
  requeued; the file, resubmitted with the script's default resources (one
  whole node: 1 rank × 2 threads), resumes to completion.

Also: ``sbatch --test-only`` accepts the default resources on this
2-CPU node and reports the old defaults (2 nodes × 4 ranks × 8 CPUs) as
"Requested node configuration is not available".

Every finished file is compared with an uninterrupted run of the same job
without Slurm: every dataset (results, status, iterations, coordinates,
``tile_done``) bit for bit, and every root attribute except the run's
provenance (``history``, ``date_created``, ``wall_time_seconds``,
``mpi_ranks``, ``threads_per_rank``), which legitimately differ.

Needs root (slurmd runs as root, munged as user munge) and the packages that
``scripts/setup.sh`` installs (slurmctld slurmd slurm-client munge libpmix2).
Without them the tests skip with the reason, unless
``DIODESCAN_REQUIRE_SLURM=1`` (set by ``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SBATCH = REPOSITORY / "cluster" / "slurm" / "diodescan.sbatch"

# 861 points in 21 tiles (ε1 lines of 41 points); with 10 ms per point on two
# workers the scan lasts ~5 s and writes a tile about every 0.25 s.
JOB = """title = "real Slurm test (Fig. 4 model)"
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
file = "out/scan.h5"
"""
TILES = 21
POINT_DELAY = "0.01"

#: Root attributes that describe the run rather than the results.
PROVENANCE = {"history", "date_created", "wall_time_seconds", "mpi_ranks", "threads_per_rank"}

DAEMONS = ("munged", "slurmctld", "slurmd")


def _missing_prerequisites() -> str | None:
    if os.geteuid() != 0:
        return "needs root (slurmd runs as root, munged as user munge)"
    missing = [tool for tool in (*DAEMONS, "sbatch", "scontrol", "scancel", "sinfo", "srun") if shutil.which(tool) is None
               and not Path("/usr/sbin", tool).exists()]
    if missing:
        return f"missing {', '.join(missing)} (scripts/setup.sh installs slurmctld slurmd slurm-client munge libpmix2)"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "no user munge (the munge package creates it)"
    return None


def _die_with_the_tests():
    """In the daemon's child before exec: SIGTERM it should pytest die without its teardown."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _wait_for(condition, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    details = "".join(f"\n--- {log}:\n{Path(log).read_text(errors='replace')[-3000:]}"
                      for log in logs if Path(log).exists())
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{details}")


class Cluster:
    """A running one-node Slurm: its environment and helpers for the clients."""

    def __init__(self, root: Path):
        self.root = root
        self.processes: dict[str, subprocess.Popen] = {}
        self.environment = {key: value for key, value in os.environ.items()
                            if not key.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_"))}
        self.environment["SLURM_CONF"] = str(root / "slurm.conf")
        self.logs = [root / "log" / name for name in ("munged.log", "slurmctld.log", "slurmd.log")]

    def run(self, *command: str, check: bool = True) -> str:
        result = subprocess.run(command, env=self.environment, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def job(self, job_id: str) -> dict[str, str]:
        """`scontrol show job` as a dict (JobState, ExitCode, Restarts, …)."""
        text = self.run("scontrol", "show", "job", "-o", job_id)
        return dict(re.findall(r"(\w+)=(\S*)", text))

    def wait_for_state(self, job_id: str, states: set[str], timeout: float) -> dict[str, str]:
        return _wait_for(lambda: (lambda job: job if job.get("JobState") in states else None)(self.job(job_id)),
                         timeout, f"job {job_id} to reach {states}", self.logs)

    def start(self):
        root = self.root
        for name in ("state", "spool", "log"):
            (root / name).mkdir()
        # munged refuses a key readable by others and a socket directory that
        # not everyone can enter: the key in a 0700 directory, the rest in 0755.
        munge = pwd.getpwnam("munge")
        key_dir, run_dir = root / "munge-key", root / "munge-run"
        for directory, mode in ((key_dir, 0o700), (run_dir, 0o755)):
            directory.mkdir()
            os.chown(directory, munge.pw_uid, munge.pw_gid)
            directory.chmod(mode)
        key = key_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chown(key, munge.pw_uid, munge.pw_gid)
        key.chmod(0o400)
        munge_socket = run_dir / "munge.socket"
        self._spawn("munged", [_tool("munged"), "--foreground", f"--key-file={key}", f"--socket={munge_socket}",
                               f"--pid-file={run_dir / 'munged.pid'}", f"--seed-file={run_dir / 'munged.seed'}",
                               f"--log-file={run_dir / 'munged.log'}"],
                    user=munge.pw_uid, group=munge.pw_gid)
        self.logs[0] = run_dir / "munged.log"
        _wait_for(munge_socket.exists, 20, "munged's socket", [root / "log" / "munged.out", run_dir / "munged.log"])

        node = subprocess.run([_tool("slurmd"), "-C"], capture_output=True, text=True, check=True).stdout
        node_line = re.sub(r"\s*UpTime=\S*", "", node.splitlines()[0]).strip()
        node_name = re.match(r"NodeName=(\S+)", node_line).group(1)
        controller_port, node_port = _free_ports(2)
        (root / "slurm.conf").write_text(f"""\
ClusterName=diodescantest
SlurmctldHost={node_name}(127.0.0.1)
SlurmctldPort={controller_port}
SlurmdPort={node_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket},cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1,bf_interval=1
KillWait=10
StateSaveLocation={root / 'state'}
SlurmdSpoolDir={root / 'spool'}
SlurmctldPidFile={root / 'slurmctld.pid'}
SlurmdPidFile={root / 'slurmd.pid'}
SlurmctldLogFile={self.logs[1]}
SlurmdLogFile={self.logs[2]}
{node_line} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes={node_name} Default=YES MaxTime=INFINITE State=UP
""")
        self._spawn("slurmctld", [_tool("slurmctld"), "-D", "-i"])
        self._spawn("slurmd", [_tool("slurmd"), "-D", "-N", node_name])
        _wait_for(lambda: self.run("sinfo", "-h", "-o", "%T", check=False).strip() == "idle", 30,
                  "the node to be idle", self.logs)

    def _spawn(self, name: str, command: list[str], **credentials):
        output = open(self.root / "log" / f"{name}.out", "wb")
        self.processes[name] = subprocess.Popen(command, env=self.environment, stdout=output, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, extra_groups=[] if credentials else None,
                                                preexec_fn=_die_with_the_tests, **credentials)
        output.close()

    def stop(self):
        """Cancel leftover jobs, then stop the daemons (slurmd, slurmctld, munged) by PID."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            self.run("scancel", "--full", "--user=root", check=False)
            try:
                _wait_for(lambda: not self.run("squeue", "-h", check=False).strip(), 20, "no jobs")
            except AssertionError:
                pass
        for name in reversed(DAEMONS):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster():
    missing = _missing_prerequisites()
    if missing:
        if os.environ.get("DIODESCAN_REQUIRE_SLURM") == "1":
            pytest.fail(f"real Slurm test required (DIODESCAN_REQUIRE_SLURM=1) but {missing}")
        pytest.skip(f"real Slurm test: {missing}")
    # Not under pytest's 0700 tmp_path: munged (user munge) must reach its directories.
    root = Path(tempfile.mkdtemp(prefix="diodescan-slurm-"))
    root.chmod(0o755)
    cluster = Cluster(root)
    try:
        started = time.monotonic()
        cluster.start()
        print(f"\none-node Slurm up in {time.monotonic() - started:.1f} s under {root}")
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def scan_setup(cluster, tmp_path_factory):
    """A working directory with the job, the binary, and an uninterrupted reference file."""
    from conftest import diodescan_binary

    binary, reason = diodescan_binary()
    if binary is None:
        pytest.fail(f"no diodescan binary: {reason}")
    directory = tmp_path_factory.mktemp("slurm-real")
    (directory / "job.toml").write_text(JOB)
    environment = dict(cluster.environment, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    reference = directory / "reference.h5"
    result = subprocess.run([str(binary), "scan", "job.toml", "--output", str(reference), "--quiet"],
                            cwd=directory, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # What the batch jobs inherit (sbatch exports the submitting environment).
    environment.update(DIODESCAN=str(binary), DIODESCAN_TEST_POINT_DELAY=POINT_DELAY,
                       SCAN_ARGS="--progress-interval 1")
    return directory, environment, reference


def _tiles_done(path: Path) -> int:
    """Finished tiles of a file being written (read without the lock)."""
    import h5py

    try:
        with h5py.File(path, "r", locking=False) as f:
            return int((f["tile_done"][()] == 1).sum())
    except (OSError, KeyError):
        return 0


def _submit(cluster: Cluster, directory: Path, environment: dict, *options: str, output: str) -> str:
    result = subprocess.run(["sbatch", "--parsable", *options, str(SBATCH), "job.toml", output],
                            cwd=directory, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"sbatch failed: {result.stderr}"
    return result.stdout.strip().split(";")[0]


def _wait_for_progress(cluster: Cluster, job_id: str, path: Path) -> int:
    """Wait until the running job has written at least one tile (but not all)."""
    done = _wait_for(lambda: _tiles_done(path), 60, f"job {job_id} to write a tile", cluster.logs)
    assert cluster.job(job_id)["JobState"] == "RUNNING" and done < TILES, "the scan finished before the signal"
    return done


def _assert_same_results(path: Path, reference: Path):
    import h5py

    with h5py.File(path, "r") as f, h5py.File(reference, "r") as g:
        assert sorted(f.keys()) == sorted(g.keys())
        for name in g:
            a, b = f[name][()], g[name][()]
            assert a.dtype == b.dtype and a.shape == b.shape, name
            assert a.tobytes() == b.tobytes(), f"dataset {name} differs from the uninterrupted run"
        assert int((f["tile_done"][()] == 1).sum()) == TILES
        attributes = set(f.attrs) | set(g.attrs)
        for name in sorted(attributes - PROVENANCE):
            assert name in f.attrs and name in g.attrs, f"attribute {name} only in one file"
            assert np.array_equal(np.asarray(f.attrs[name]), np.asarray(g.attrs[name])), f"attribute {name} differs"


def test_srun_has_pmix(cluster):
    assert "pmix" in cluster.run("srun", "--mpi=list"), "this Slurm has no PMIx plugin (slurm-wlm-basic-plugins)"


def test_default_resources_fit_one_small_node(cluster):
    """The script's #SBATCH defaults (one whole node) fit a 2-CPU node; the old ones (2 × 4 × 8) did not."""
    result = subprocess.run(["sbatch", "--test-only", str(SBATCH), "job.toml"], env=cluster.environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and re.search(r"to start at .* using \d+ processors", result.stderr), result.stderr
    result = subprocess.run(["sbatch", "--test-only", "--nodes=2", "--ntasks-per-node=4", "--cpus-per-task=8",
                             str(SBATCH), "job.toml"], env=cluster.environment, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "Requested node configuration is not available" in result.stderr


@pytest.mark.parametrize("launcher", ["srun", "mpirun"])
def test_warning_stops_requeues_and_resumes(cluster, scan_setup, launcher):
    directory, environment, reference = scan_setup
    environment = dict(environment, LAUNCHER=launcher)
    output = directory / "out" / f"warning-{launcher}.h5"
    job_id = _submit(cluster, directory, environment, "--ntasks-per-node=2", output=f"out/{output.name}")
    _wait_for_progress(cluster, job_id, output)

    # What `#SBATCH --signal=B:USR1@120` does before the time limit.
    cluster.run("scancel", "--batch", "--signal=USR1", job_id)
    job = cluster.wait_for_state(job_id, {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}, timeout=90)
    log = (directory / f"diodescan-{job_id}.log").read_text()
    assert job["JobState"] == "COMPLETED" and job["ExitCode"] == "0:0", log
    assert job["Restarts"] == "1", log
    first, _, second = log.partition("(restart 1)")
    assert "2 ranks × 1 thread" in first, log  # both ranks joined one MPI world (srun: through PMIx)
    assert "USR1 received" in first and "stopped by SIGUSR1" in first and "requeueing" in first, log
    resumed = re.search(r"resuming, (\d+) of 21 tiles already done", second)
    assert "--resume" in second and resumed and 0 < int(resumed.group(1)) < TILES, log
    assert "scan complete" in second, log
    _assert_same_results(output, reference)


@pytest.mark.parametrize("launcher", ["srun", "mpirun"])
def test_scancel_exits_143_without_requeue_and_the_file_resumes(cluster, scan_setup, launcher):
    directory, environment, reference = scan_setup
    environment = dict(environment, LAUNCHER=launcher)
    output = directory / "out" / f"scancel-{launcher}.h5"
    job_id = _submit(cluster, directory, environment, "--ntasks-per-node=2", output=f"out/{output.name}")
    _wait_for_progress(cluster, job_id, output)

    cluster.run("scancel", job_id)
    job = cluster.wait_for_state(job_id, {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}, timeout=60)
    log = (directory / f"diodescan-{job_id}.log").read_text()
    assert "2 ranks × 1 thread" in log, log
    assert job["JobState"] == "CANCELLED" and job["ExitCode"] == "143:0", (job, log)
    # The script ended without `scontrol requeue` (which it would run before exiting).
    assert "stopped by SIGTERM" in log and "not requeued" in log and "requeueing" not in log, log
    assert job["Restarts"] == "0", job
    stopped_at = _tiles_done(output)
    assert 0 < stopped_at < TILES

    # Resubmitted as the script suggests, with its default resources (one whole node).
    job_id = _submit(cluster, directory, environment, output=f"out/{output.name}")
    job = cluster.wait_for_state(job_id, {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}, timeout=90)
    log = (directory / f"diodescan-{job_id}.log").read_text()
    assert job["JobState"] == "COMPLETED" and job["ExitCode"] == "0:0", log
    assert "1 ranks × 2 threads" in log and "--resume" in log, log
    assert f"resuming, {stopped_at} of 21 tiles already done" in log, log
    _assert_same_results(output, reference)
