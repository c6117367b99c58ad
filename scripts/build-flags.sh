#!/usr/bin/env bash
# Prints the extra `swift build` flags of a release build of diodescan, one
# per line (nothing for a portable build). Every script that builds the
# release binary uses them, so that one .build directory is never rebuilt
# with different flags.
#
#   DIODESCAN_CPU=auto      (default) tuned for Haswell-class x86-64 CPUs
#                           (AVX2, FMA, BMI2; Intel 2013+, AMD Zen) when the
#                           building machine is one, else portable
#   DIODESCAN_CPU=haswell   tuned, whatever the building machine
#   DIODESCAN_CPU=portable  the architecture's baseline (runs on any x86-64)
#
# The tuned binary computes the same numbers bit for bit and runs the solver
# ~15 % faster (docs/performance.md, "Build target"). It checks the CPU when
# it starts and refuses an older one in one line (exit 1), so a binary built
# on a newer login node cannot crash on older compute nodes: rebuild it there,
# or build with DIODESCAN_CPU=portable (cluster/README.md).
set -euo pipefail

tuned() {
    printf '%s\n' -Xswiftc -target-cpu -Xswiftc haswell -Xcc -DDIODESCAN_TARGET_HASWELL
}

case "${DIODESCAN_CPU:-auto}" in
    portable) ;;
    haswell)
        [ "$(uname -m)" = x86_64 ] || { echo "build-flags.sh: DIODESCAN_CPU=haswell needs x86_64, this is $(uname -m)" >&2; exit 2; }
        tuned ;;
    auto)
        if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
            flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
            missing=0
            for feature in avx avx2 fma bmi1 bmi2 f16c movbe abm; do
                case "$flags" in *" $feature "*) ;; *) missing=1 ;; esac
            done
            [ "$missing" = 1 ] || tuned
        fi ;;
    *)
        echo "build-flags.sh: DIODESCAN_CPU=${DIODESCAN_CPU} is not allowed; allowed: auto, haswell, portable" >&2
        exit 2 ;;
esac
