"""Command line: ``python -m diodescan_analysis {plot,info,spectrum} FILE``.

    python -m diodescan_analysis info out/fig2.h5
    python -m diodescan_analysis plot out/fig2.h5 -o figures/ [--dT 1] \
        [--cut-particle 4.8] [--cut-heat 8.7] [--rj-limit 0.2|auto]

``plot`` writes, for each selected ΔT, ``<stem>_dT<ΔT>.png`` and ``.pdf`` laid
out like the paper's Figs. 2-4, and for a file with several ΔT also
``<stem>_dT-overview.png``/``.pdf`` (R_I and R_J maps across ΔT). It prints the
paths it wrote. ``spectrum`` plots a file of ``diodescan spectrum --output``
(transmission and spectral current over E - mu, equilibrium / F / B) as
``<stem>_spectrum.png``/``.pdf``. Exit status 2 on bad input (missing file,
not a diodescan file).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .loader import STATUS_CODES, job_title, load, model_parameters

# Printed elsewhere (title, file) or too long for a summary line.
_SKIPPED_IN_INFO = {"job", "job_toml", "job_text", "history", "source_file"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not Path(arguments.file).is_file():
        parser.exit(2, f"error: no such file: {arguments.file}\n")
    if getattr(arguments, "spectrum_file", False):
        return arguments.run(arguments)
    try:
        # `plot --dT X` needs one ΔT slice only: read just that from the file.
        dataset = load(arguments.file, dT=getattr(arguments, "dT", None))
    except (OSError, ValueError, KeyError) as error:
        parser.exit(2, f"error: cannot read {arguments.file} as a diodescan result file: {error}\n")
    missing = [name for name in ("I_F", "I_B", "J_F", "J_B", "R_I", "R_J") if name not in dataset]
    if missing:
        parser.exit(2, f"error: {arguments.file} lacks the datasets {', '.join(missing)}\n")
    return arguments.run(dataset, arguments)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m diodescan_analysis",
        description="Summaries and paper-style figures of diodescan result files.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="print the grid, parameters and solver status of a file")
    info.add_argument("file", metavar="FILE")
    info.set_defaults(run=_info)

    plot = commands.add_parser("plot", help="write PNG and PDF figures laid out like the paper's Figs. 2-4")
    plot.add_argument("file", metavar="FILE")
    plot.add_argument("-o", "--output", metavar="DIR", default=".", help="directory for the figures (created)")
    plot.add_argument("--dT", type=float, default=None, metavar="VALUE",
                      help="plot only the ΔT nearest VALUE (default: every ΔT of the file)")
    plot.add_argument("--cut-particle", type=float, default=None, metavar="X",
                      help="ε3 − μ of the particle-current cut (default: the paper's, 4.8 without "
                           "screening, 8.2 with)")
    plot.add_argument("--cut-heat", type=float, default=None, metavar="X",
                      help="ε3 − μ of the heat-current cut (default: 8.7 without screening, 7.5 with)")
    plot.add_argument("--rj-limit", type=_limit, default=1.0, metavar="L",
                      help="colour range ±L of the R_J maps, or 'auto' to fit the data "
                           "(default 1, like R_I; R_J stays within about ±0.2)")
    plot.add_argument("--formats", default="png,pdf", metavar="LIST",
                      help="comma-separated file formats (default png,pdf)")
    plot.add_argument("--dpi", type=int, default=150, help="resolution of raster formats (default 150)")
    plot.set_defaults(run=_plot)

    spectrum = commands.add_parser("spectrum", help="plot a spectrum file of `diodescan spectrum --output`")
    spectrum.add_argument("file", metavar="FILE")
    spectrum.add_argument("-o", "--output", metavar="DIR", default=".", help="directory for the figure (created)")
    spectrum.add_argument("--quantities", default="T_LR,spectral_I_L", metavar="LIST",
                          help="comma-separated dataset names without the _eq/_F/_B suffix, one panel each "
                               "(default T_LR,spectral_I_L)")
    spectrum.add_argument("--formats", default="png,pdf", metavar="LIST",
                          help="comma-separated file formats (default png,pdf)")
    spectrum.add_argument("--dpi", type=int, default=150, help="resolution of raster formats (default 150)")
    spectrum.set_defaults(run=_spectrum, spectrum_file=True)
    return parser


def _limit(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0 or 'auto', got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0 or 'auto', got {text!r}")
    return value


def _plot(dataset, arguments) -> int:
    from . import plots  # imports matplotlib; `info` does not need it
    import matplotlib.pyplot as plt

    formats = [item.strip().lstrip(".") for item in arguments.formats.split(",") if item.strip()]
    if not formats:
        print("error: --formats names no format", file=sys.stderr)
        return 2
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)
    stem = Path(arguments.file).stem

    dT_values = np.atleast_1d(dataset["dT"].values)
    if arguments.dT is not None:
        dT_values = [float(plots.select_dT(dataset, arguments.dT)["dT"])]

    figures = []
    for dT in dT_values:
        figures.append((f"{stem}_dT{float(dT):g}", plots.paper_figure(
            dataset, dT=float(dT), cut_particle=arguments.cut_particle,
            cut_heat=arguments.cut_heat, rj_limit=arguments.rj_limit,
        )))
    if arguments.dT is None and len(dataset["dT"]) > 1:
        figures.append((f"{stem}_dT-overview", plots.dT_overview_figure(dataset, rj_limit=arguments.rj_limit)))

    for name, figure in figures:
        for extension in formats:
            path = output / f"{name}.{extension}"
            figure.savefig(path, dpi=arguments.dpi)
            print(path)
        plt.close(figure)
    return 0


def _spectrum(arguments) -> int:
    from .spectrum import load_spectrum, spectrum_figure
    import matplotlib.pyplot as plt

    try:
        dataset = load_spectrum(arguments.file)
    except (OSError, ValueError) as error:
        print(f"error: cannot read {arguments.file} as a diodescan spectrum file: {error}", file=sys.stderr)
        return 2
    quantities = tuple(item.strip() for item in arguments.quantities.split(",") if item.strip())
    formats = [item.strip().lstrip(".") for item in arguments.formats.split(",") if item.strip()]
    if not quantities or not formats:
        print("error: --quantities and --formats must name at least one item", file=sys.stderr)
        return 2
    try:
        figure = spectrum_figure(dataset, quantities=quantities)
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)
    for extension in formats:
        path = output / f"{Path(arguments.file).stem}_spectrum.{extension}"
        figure.savefig(path, dpi=arguments.dpi)
        print(path)
    plt.close(figure)
    return 0


def _info(dataset, arguments) -> int:
    out = sys.stdout
    print(f"file: {arguments.file} ({os.path.getsize(arguments.file) / 1e6:.3g} MB)", file=out)
    title = job_title(dataset) or dataset.attrs.get("title")
    if title:
        print(f"title: {title}", file=out)
    parameters = model_parameters(dataset)
    print(f"model: {parameters.label}", file=out)

    print("grid:", file=out)
    for name, shifted, label in (("eps1", "x1", "ε1 − μ"), ("eps3", "x3", "ε3 − μ"), ("dT", None, "")):
        values = np.atleast_1d(dataset[name].values)
        line = f"  {name:<5} {len(values):>6} value{'s' if len(values) != 1 else ' '}  {_range(values)}"
        if shifted is not None:
            line += f"   ({label}: {_range(dataset[shifted].values)})"
        print(line, file=out)
    points = int(np.prod([dataset.sizes[d] for d in ("dT", "eps3", "eps1")]))
    print(f"  {points} points × 2 configurations", file=out)

    print("solver status (points):", file=out)
    for suffix, label in (("F", "forward"), ("B", "backward")):
        status = dataset.get(f"status_{suffix}")
        if status is None:
            continue
        counts = ", ".join(
            f"{np.count_nonzero(status.values == code)} {meaning}" for code, meaning in STATUS_CODES.items()
        )
        print(f"  {label:<8} {counts}", file=out)
    if "status_F" in dataset and "status_B" in dataset:
        # 1, 2 failed; 3 (converged, a second solution found) is valid.
        failed = np.count_nonzero(np.isin(dataset["status_F"].values, (1, 2))
                                  | np.isin(dataset["status_B"].values, (1, 2)))
        print(f"  non-converged points (F or B): {failed}", file=out)
    if "tile_done" in dataset:
        done = dataset["tile_done"].values
        print(f"  tiles done: {np.count_nonzero(done == 1)} / {done.size}", file=out)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in ("R_I", "R_J"):
            values = dataset[name].values
            if np.isfinite(values).any():
                print(f"{name}: min {np.nanmin(values):+.4f}, max {np.nanmax(values):+.4f}", file=out)

    print("root attributes:", file=out)
    for key, value in dataset.attrs.items():
        if key in _SKIPPED_IN_INFO:
            continue
        text = str(value).replace("\n", " ")
        print(f"  {key} = {text[:117] + '...' if len(text) > 120 else text}", file=out)
    return 0


def _range(values) -> str:
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return f"{values[0]:g}"
    steps = np.diff(values)
    step = f", step {steps[0]:.6g}" if np.allclose(steps, steps[0], rtol=1e-9) else ", uneven"
    return f"{values.min():g} … {values.max():g}{step}"


if __name__ == "__main__":
    raise SystemExit(main())
