#!/usr/bin/env bash
# Installs what diodescan needs on a fresh Debian/Ubuntu machine, only when it
# is missing: Open MPI and HDF5 (Debian packages), Slurm and munge for the test
# of the batch script on a real one-node Slurm (analysis/tests/test_slurm_real.py,
# which starts and stops its own daemons), and the Python packages of the
# analysis tools. Safe to run again; prints what it does on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

# Not `dpkg -s`: it succeeds for a removed package whose configuration files remain.
missing() {
    for pkg in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || echo "$pkg"
    done
}
mapfile -t need_apt < <(missing libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools pkg-config)
# Without recommends: no systemd units or cgroup tooling are needed; the PMIx
# plugin of srun --mpi=pmix comes with slurm-wlm-basic-plugins.
mapfile -t need_slurm < <(missing slurmctld slurmd slurm-client munge libpmix2)
if [ ${#need_apt[@]} -gt 0 ] || [ ${#need_slurm[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    if [ ${#need_apt[@]} -gt 0 ]; then
        echo "setup: installing Debian packages: ${need_apt[*]}" >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
    fi
    if [ ${#need_slurm[@]} -gt 0 ]; then
        echo "setup: installing Debian packages (for the real-Slurm test): ${need_slurm[*]}" >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_slurm[@]}" >&2
    fi
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH; install Swift 6 (https://www.swift.org/install/linux/) first" >&2
    exit 1
fi

if [ -f analysis/requirements.txt ]; then
    if ! python3 -c "import h5py, xarray, h5netcdf, numpy, matplotlib, pytest" >/dev/null 2>&1; then
        echo "setup: installing Python packages from analysis/requirements.txt" >&2
        python3 -m pip install -q -r analysis/requirements.txt >&2
    fi
fi
