#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs every test: the Swift
# suites (physics, I/O, engine, CLI and mpirun integration) and the Python
# analysis tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The binary the CLI, mpirun and Python tests run: built as the README's
# main command builds it (tuned when this CPU can, scripts/build-flags.sh).
build_flags=($(bash scripts/build-flags.sh))
swift build -c release --product diodescan "${build_flags[@]}"
DIODESCAN_BIN="$(swift build -c release --show-bin-path)/diodescan" swift test
if [ -d analysis/tests ]; then
    DIODESCAN_BIN="$(swift build -c release --show-bin-path)/diodescan" python3 -m pytest -q -rs analysis/tests
fi
