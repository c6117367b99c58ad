#!/usr/bin/env bash
# Installs what diodescan needs on a fresh Debian/Ubuntu machine, only when it
# is missing: Open MPI and HDF5 (Debian packages) and the Python packages of
# the analysis tools. Safe to run again; prints what it does on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
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
