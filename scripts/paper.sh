#!/usr/bin/env bash
# Reproduces every panel of the paper's Figs. 2-4 (Balduque & Sanchez, PRL 134,
# 186301 (2025)) into docs/gallery/ (PNG): sets up (scripts/setup.sh), builds
# diodescan (release), runs the panel jobs with `diodescan scan` on all local
# cores (the single-node mode; an existing output is continued with --resume,
# so a rerun only redoes what is missing), and plots them.
#
#   bash scripts/paper.sh            # everything
#   bash scripts/paper.sh --list     # the steps: panel, job, output, figure
#   bash scripts/paper.sh --dry-run  # print the commands, run nothing
#   bash scripts/paper.sh --no-setup # skip scripts/setup.sh and the build
#
# A step that fails is reported and the others continue; the exit status is 1
# if any step failed (or a job needed its fallback), 0 otherwise. Jobs that the
# binary refuses (general scan axes, fixed eps1/eps3/dT, [output] extras: until
# that lands) fall back to `python3 -m diodescan_analysis points`, one
# `diodescan point --reference` per point on a thinned grid, so their panels
# still appear; the fallback is reported. Wall times: out/paper/timings.txt.
# Environment: PAPER_OUT (default out), PAPER_GALLERY (default docs/gallery),
# DIODESCAN_BIN (a binary to use instead of building one).
set -uo pipefail
cd "$(dirname "$0")/.."

mode=run
setup=1
for argument in "$@"; do
    case "$argument" in
        --list) mode=list ;;
        --dry-run) mode=dry ;;
        --no-setup) setup=0 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "paper.sh: unknown option $argument (see --help)" >&2; exit 2 ;;
    esac
done

out="${PAPER_OUT:-out}"
gallery="${PAPER_GALLERY:-docs/gallery}"
plot=(python3 -m diodescan_analysis)
export PYTHONPATH="analysis${PYTHONPATH:+:$PYTHONPATH}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# name | panels | job | output | gallery files | resolution
steps=(
    "fig2|Fig. 2(a) with I_lin, 2(b), 2(c), 2(d)|jobs/fig2.toml|fig2.h5|fig2_dT1.png|paper (501 x 501, step 0.05)"
    "fig2e|Fig. 2(e)|jobs/fig2e.toml|fig2e.h5|fig2e.png, fig2e_summary.txt|paper (201 asymmetry x 116 Gamma); fallback: 41 x 41 points"
    "fig3|Fig. 3(a) with the equilibrium-transmission current (green), 3(b), 3(c), 3(d)|jobs/fig3.toml|fig3.h5|fig3_dT1.png|paper (481 x 401, step 0.05)"
    "fig3e|Fig. 3(e)|diodescan spectrum at the star point|fig3e.h5|fig3e_spectrum.png|20,001 energies + features"
    "fig3fg|Fig. 3(f), 3(g) with dJ/dDeltaT|jobs/fig3fg.toml|fig3fg.h5|fig3fg.png, fig3fg_summary.txt|60 DeltaT (0.05 ... 3)"
    "fig4|Fig. 4(a), 4(b), 4(c), 4(d)|jobs/fig4.toml|fig4.h5|fig4_dT1.png|paper (481 x 401, step 0.05)"
)

if [ "$mode" = list ]; then
    printf '%-7s %-78s %-40s %s\n' STEP PANELS JOB "GALLERY ($gallery)"
    for step in "${steps[@]}"; do
        IFS='|' read -r name panels job output files resolution <<<"$step"
        printf '%-7s %-78s %-40s %s   [%s]\n' "$name" "$panels" "$job -> $out/$output" "$files" "$resolution"
    done
    exit 0
fi

failures=()
fallbacks=()
timings=()
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'{int(s // 60)} min {s % 60:.0f} s' if s >= 60 else f'{s:.1f} s')" "$1" "$2"; }

# run LABEL COMMAND...: run (or print), time, record a failure without stopping.
run() {
    local label="$1"; shift
    echo "+ $*" >&2
    [ "$mode" = dry ] && return 0
    local start status
    start=$(now)
    "$@"
    status=$?
    if [ "$status" -eq 0 ]; then
        timings+=("$label: $(elapsed "$start" "$(now)")")
        return 0
    fi
    timings+=("$label: FAILED (status $status) after $(elapsed "$start" "$(now)")")
    echo "paper.sh: step '$label' failed (status $status); continuing" >&2
    return $status
}

# scan JOB OUTPUT: diodescan scan, continuing an existing output file.
scan() {
    local job="$1" output="$2"
    if [ -e "$output" ]; then
        run "scan $job" "$bin" scan "$job" --output "$output" --resume
    else
        run "scan $job" "$bin" scan "$job" --output "$output"
    fi
}

# scan_or_points NAME JOB MAX_PER_AXIS: the scan, else the point-by-point
# fallback; sets $file to the file to plot ("" if neither worked).
scan_or_points() {
    local name="$1" job="$2" thin="$3"
    file="$out/$name.h5"
    scan "$job" "$file" && return 0
    fallbacks+=("$name: \`diodescan scan $job\` failed; panel from \`points\` (one diodescan point per point, at most $thin values per axis)")
    file="$out/points/$name.h5"
    mkdir -p "$out/points"
    run "points $job" "${plot[@]}" points "$job" --output "$file" --max-per-axis "$thin" --diodescan "$bin" && return 0
    failures+=("$name (scan and point fallback)")
    file=""
    return 1
}

if [ "$mode" = run ] && [ "$setup" = 1 ]; then
    bash scripts/setup.sh || { echo "paper.sh: scripts/setup.sh failed" >&2; exit 1; }
fi
if [ -n "${DIODESCAN_BIN:-}" ]; then
    bin="$DIODESCAN_BIN"
elif [ "$mode" = run ] && [ "$setup" = 1 ]; then
    build_flags=($(bash scripts/build-flags.sh)) || { echo "paper.sh: scripts/build-flags.sh failed" >&2; exit 1; }
    run "build" swift build -c release --product diodescan "${build_flags[@]}" \
        || { echo "paper.sh: build failed" >&2; exit 1; }
    bin="$(swift build -c release --show-bin-path)/diodescan"
else
    bin=".build/release/diodescan"
fi
if [ "$mode" = run ] && [ ! -x "$bin" ]; then
    echo "paper.sh: no diodescan binary at $bin (build it or set DIODESCAN_BIN)" >&2
    exit 1
fi
[ "$mode" = run ] && mkdir -p "$out" "$gallery" "$out/paper"
common=(-o "$gallery" --rj-limit auto --formats png)
export DIODESCAN_BIN="$bin"

# Fig. 2 (a)-(d): the map, and I_lin along the particle cut (from the file's
# I_lin_F when the job has extras, else from diodescan point --reference).
if scan jobs/fig2.toml "$out/fig2.h5"; then
    run "plot fig2" "${plot[@]}" plot "$out/fig2.h5" "${common[@]}" --reference points || failures+=("fig2 plot")
else
    failures+=("fig2 scan")
fi

# Fig. 2(e): I on the antisymmetric line over (asymmetry, Gamma); prints the maximum.
scan_or_points fig2e jobs/fig2e.toml 41
[ -n "$file" ] && { run "plot fig2e" "${plot[@]}" plot "$file" "${common[@]}" || failures+=("fig2e plot"); }

# Fig. 3 (a)-(d), with the equilibrium-transmission current in (a).
if scan jobs/fig3.toml "$out/fig3.h5"; then
    run "plot fig3" "${plot[@]}" plot "$out/fig3.h5" "${common[@]}" --reference points || failures+=("fig3 plot")
else
    failures+=("fig3 scan")
fi

# Fig. 3(e): transmissions at the star point (eps1 - mu = 6.648, eps3 - mu = 8.2), eq / F / B.
if run "spectrum star" "$bin" spectrum --eps1 46.648 --eps3 48.2 --gamma 1 --lambda 0 --screening \
        --emin 35 --emax 55 --count 20001 --features --output "$out/fig3e.h5" --overwrite; then
    run "plot fig3e" "${plot[@]}" spectrum "$out/fig3e.h5" -o "$gallery" --formats png || failures+=("fig3e plot")
else
    failures+=("fig3e spectrum")
fi

# Fig. 3(f, g): I and J versus Delta T at the star point, with dJ/dDeltaT.
scan_or_points fig3fg jobs/fig3fg.toml 60
[ -n "$file" ] && { run "plot fig3fg" "${plot[@]}" plot "$file" "${common[@]}" || failures+=("fig3fg plot"); }

# Fig. 4 (a)-(d).
if scan jobs/fig4.toml "$out/fig4.h5"; then
    run "plot fig4" "${plot[@]}" plot "$out/fig4.h5" "${common[@]}" || failures+=("fig4 plot")
else
    failures+=("fig4 scan")
fi

[ "$mode" = dry ] && exit 0
{
    echo "# scripts/paper.sh wall times, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null)"
    printf '%s\n' "${timings[@]}"
} | tee "$out/paper/timings.txt" >&2
for note in "${fallbacks[@]}"; do echo "paper.sh: fallback: $note" >&2; done
if [ ${#failures[@]} -gt 0 ] || [ ${#fallbacks[@]} -gt 0 ]; then
    [ ${#failures[@]} -gt 0 ] && echo "paper.sh: FAILED: ${failures[*]}" >&2
    exit 1
fi
echo "paper.sh: every panel of Figs. 2-4 is in $gallery/" >&2
