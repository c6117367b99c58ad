#!/usr/bin/env bash
# The README's main command: sets up a fresh machine (scripts/setup.sh),
# builds diodescan (release), runs the demo scan jobs/demo.toml with all local
# cores into out/demo.h5 and plots it into out/demo/ (PNG and PDF).
# The demo output is recomputed on every run (--overwrite applies to
# out/demo.h5 only; scans of other jobs never overwrite without being told).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Tuned for this machine's CPU when it can be (scripts/build-flags.sh).
build_flags=($(bash scripts/build-flags.sh))
swift build -c release --product diodescan "${build_flags[@]}"
bin="$(swift build -c release --show-bin-path)/diodescan"
mkdir -p out
"$bin" scan jobs/demo.toml --output out/demo.h5 --overwrite
PYTHONPATH=analysis python3 -m diodescan_analysis plot out/demo.h5 -o out/demo
echo "demo: wrote out/demo.h5 and the figures in out/demo/" >&2
ls -1 out/demo >&2
