"""Command line: ``python -m diodescan_analysis {plot,cut,info,spectrum} FILE``.

    python -m diodescan_analysis info out/fig2.h5
    python -m diodescan_analysis plot out/fig2.h5 -o figures/ [--dT 1] \
        [--cut-particle 4.8] [--cut-heat 8.7] [--rj-limit 0.2|auto] [--reference points]
    python -m diodescan_analysis cut out/fig2.h5 --axis eps1 --at x3=4.8 --at dT=1 --csv

``plot`` picks the panels from the file's axes with more than one value:
ε1 × ε3 (× ΔT) maps → for each selected ΔT, ``<stem>_dT<ΔT>.png`` and ``.pdf``
laid out like the paper's Figs. 2-4, and for a file with several ΔT also
``<stem>_dT-overview.png``/``.pdf`` (R_I and R_J maps across ΔT); asymmetry ×
Γ → Fig. 2(e) with the maximum of I (value and position, also printed on
stderr and written to ``<stem>_summary.txt``); ΔT alone → Fig. 3(f, g) with
dJ/dΔT; other pairs → R_I, R_J maps with current cuts; one axis → lines. More
axes → one figure per slice of the outer axes (at most ``--max-figures``). It
prints the paths it wrote.
``cut`` writes a 1-D cut along any axis (the others fixed by ``--at``, nearest
grid value) as a figure and optionally CSV. ``spectrum`` plots a file of ``diodescan spectrum --output``
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

from . import accessor  # noqa: F401  (registers ds.diode)
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
    if getattr(arguments, "dT", None) is not None and "dT" not in dataset.dims:
        print(f"note: ΔT is not an axis of {arguments.file} (fixed at "
              f"{dataset.diode.parameters.get('dT')}); --dT ignored", file=sys.stderr)
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
    plot.add_argument("--figure", default="auto", choices=("auto", "paper", "fig2e", "map", "dT", "lines"),
                      help="panel set (default auto: chosen from the axes with several values)")
    plot.add_argument("--max-figures", type=int, default=12, metavar="N",
                      help="at most N figures for files with more than two extended axes, evenly "
                           "spread over the slices (default 12)")
    plot.add_argument("--reference", default="data", choices=("none", "data", "points"),
                      help="reference curves of panel (a) (I_lin without screening, I_eqT with): 'data' "
                           "from the file's extras datasets when present (default), 'points' the same "
                           "or else `diodescan point --reference` along the particle cut, 'none'")
    plot.add_argument("--reference-points", type=int, default=121, metavar="N",
                      help="with --reference points: at most N points along the cut (default 121)")
    plot.add_argument("--diodescan", default=None, metavar="PATH",
                      help="the diodescan binary for --reference points (default $DIODESCAN_BIN, the "
                           "repository's release build, or PATH)")
    plot.set_defaults(run=_plot)

    cut = commands.add_parser("cut", help="a 1-D cut along any axis: figure and optional CSV")
    cut.add_argument("file", metavar="FILE")
    cut.add_argument("--axis", required=True, metavar="NAME",
                     help="the axis to run along (a scan axis, e.g. eps1, eps3, dT, gamma, asymmetry)")
    cut.add_argument("--at", action="append", default=[], metavar="KEY=VALUE",
                     help="fix another axis at its grid value nearest VALUE (repeatable); x1/x3 mean "
                          "ε1 − μ / ε3 − μ. Every other axis with several values must be fixed")
    cut.add_argument("--vars", default="I_F,I_B,J_F,J_B,R_I,R_J", metavar="LIST",
                     help="comma-separated datasets to draw and write (default I_F,I_B,J_F,J_B,R_I,R_J; "
                          "extras such as I_lin_F are added when present)")
    cut.add_argument("-o", "--output", metavar="DIR", default=".", help="directory for the outputs (created)")
    cut.add_argument("--csv", action="store_true", help="also write the values as CSV")
    cut.add_argument("--formats", default="png,pdf", metavar="LIST",
                     help="comma-separated figure formats, or 'none' (default png,pdf)")
    cut.add_argument("--dpi", type=int, default=150, help="resolution of raster formats (default 150)")
    cut.set_defaults(run=_cut)

    points = commands.add_parser("points", help="evaluate a job's grid with `diodescan point --reference`, "
                                                "one cold solve per point, into a result file")
    points.add_argument("file", metavar="JOB")
    points.add_argument("--output", required=True, metavar="FILE", help="the HDF5 file to write (replaced)")
    points.add_argument("--max-per-axis", type=int, default=None, metavar="N",
                        help="thin every axis to at most N evenly spread values (ends kept)")
    points.add_argument("--workers", type=int, default=2, help="concurrent point processes (default 2)")
    points.add_argument("--diodescan", default=None, metavar="PATH", help="the diodescan binary")
    points.set_defaults(run=_points, spectrum_file=True)

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


def _formats(text: str) -> list[str]:
    return [item.strip().lstrip(".") for item in text.split(",") if item.strip() and item.strip() != "none"]


def _save(figure, output: Path, name: str, formats: Sequence[str], dpi: int) -> None:
    for extension in formats:
        path = output / f"{name}.{extension}"
        figure.savefig(path, dpi=dpi)
        print(path)


def _plot(dataset, arguments) -> int:
    from . import panels, plots  # imports matplotlib; `info` does not need it
    import matplotlib.pyplot as plt

    formats = _formats(arguments.formats)
    if not formats:
        print("error: --formats names no format", file=sys.stderr)
        return 2
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)
    stem = Path(arguments.file).stem
    extended = dataset.diode.extended_axes

    classic = {"eps1", "eps3"} <= set(dataset.dims) and set(extended) <= {"eps1", "eps3", "dT"} \
        and arguments.figure in ("auto", "paper") and len({"eps1", "eps3"} & set(extended)) == 2
    if classic:
        return _plot_paper(dataset, arguments, output, stem, formats)

    if not extended:
        print(f"error: {arguments.file} holds a single point: nothing to plot (see `info`)", file=sys.stderr)
        return 2
    inner = list(extended[-2:]) if len(extended) >= 2 else list(extended)
    if arguments.figure in ("dT", "lines"):
        inner = list(extended[-1:])
    outer = [a for a in extended if a not in inner]
    slices = [dict()]
    for axis in outer:
        slices = [dict(s, **{axis: i}) for s in slices for i in range(dataset.sizes[axis])]
    if len(slices) > arguments.max_figures:
        keep = np.unique(np.round(np.linspace(0, len(slices) - 1, arguments.max_figures)).astype(int))
        print(f"note: {len(slices)} slices of the outer axes {', '.join(outer)}; plotting {len(keep)} "
              f"evenly spread ones (--max-figures {arguments.max_figures})", file=sys.stderr)
        slices = [slices[int(i)] for i in keep]
    summary: list[str] = []
    for selection in slices:
        part = dataset.isel(selection)
        name = stem + "".join(f"_{axis}{float(part[axis]):g}" for axis in selection)
        try:
            kind = panels.choose_kind(part) if arguments.figure == "auto" else arguments.figure
            options = {"rj_limit": arguments.rj_limit} if kind in ("map",) else {}
            figure = panels.figure(part, kind=kind, **options)
        except (ValueError, KeyError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        _save(figure, output, name, formats, arguments.dpi)
        plt.close(figure)
        heading = ", ".join(f"{axis} = {float(part[axis]):g}" for axis in selection)
        if kind == "fig2e":
            lines = panels.describe_fig2e(panels.fig2e_summary(part))
        elif kind == "dT":
            lines = panels.thermal_conductance_summary(part.diode.line("dT"))
        else:
            lines = []
        summary += [f"{heading}: {line}" if heading else line for line in lines]
    if summary:
        for line in summary:
            print(line, file=sys.stderr)
        path = output / f"{stem}_summary.txt"
        path.write_text("\n".join(summary) + "\n")
        print(path)
    return 0


def _plot_paper(dataset, arguments, output, stem, formats) -> int:
    from . import plots
    import matplotlib.pyplot as plt

    if "dT" not in dataset.dims:  # ΔT fixed (a [model] parameter): the layout wants the dimension
        dataset = dataset.expand_dims(dT=[float(dataset.diode.parameters.get("dT", 1.0))])
    dT_values = np.atleast_1d(dataset["dT"].values)
    if arguments.dT is not None:
        dT_values = [float(plots.select_dT(dataset, arguments.dT)["dT"])]

    parameters = model_parameters(dataset)
    names = plots.reference_names(parameters.screening)
    figures = []
    for dT in dT_values:
        reference = None
        if arguments.reference == "points" and not all(n in dataset for n in names):
            reference = _reference_along_cut(dataset, float(dT), arguments)
        figures.append((f"{stem}_dT{float(dT):g}", plots.paper_figure(
            dataset, dT=float(dT), cut_particle=arguments.cut_particle,
            cut_heat=arguments.cut_heat, rj_limit=arguments.rj_limit,
            reference=reference, references=() if arguments.reference == "none" else None,
        )))
    if arguments.dT is None and len(dataset["dT"]) > 1:
        figures.append((f"{stem}_dT-overview", plots.dT_overview_figure(dataset, rj_limit=arguments.rj_limit)))

    for name, figure in figures:
        _save(figure, output, name, formats, arguments.dpi)
        plt.close(figure)
    return 0


def _reference_along_cut(dataset, dT: float, arguments):
    """I_lin, I_eqT along the particle cut from `diodescan point --reference` (None if impossible)."""
    from . import plots
    from .numerics import point_reference

    parameters = model_parameters(dataset)
    cuts = plots.paper_cuts(parameters, particle=arguments.cut_particle)
    slice2d = plots.select_dT(dataset, dT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _, x3 = plots.nearest_eps3(slice2d, cuts.particle)
    eps1 = np.asarray(dataset["eps1"].values)
    step = max(1, int(np.ceil(len(eps1) / max(2, arguments.reference_points))))
    grid = eps1[::step]
    if grid[-1] != eps1[-1]:
        grid = np.append(grid, eps1[-1])
    fixed = {k: v for k, v in dataset.diode.parameters.fixed.items() if k not in ("eps1", "eps3", "dT")}
    fixed.update(eps3=x3 + parameters.mu, dT=dT)
    print(f"reference: {len(grid)} × diodescan point --reference along ε3 − μ = {x3:g}, ΔT = {dT:g}",
          file=sys.stderr)
    try:
        return point_reference(fixed, "eps1", grid, screening=parameters.screening, binary=arguments.diodescan)
    except (OSError, RuntimeError, ValueError) as error:
        print(f"warning: no reference curves: {error}", file=sys.stderr)
        return None


def _parse_at(items: Sequence[str]) -> dict[str, float]:
    at = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"--at expects KEY=VALUE, got {item!r}")
        try:
            at[key.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--at {item}: {value!r} is not a number") from None
    return at


def _cut(dataset, arguments) -> int:
    from . import panels
    import matplotlib.pyplot as plt

    try:
        at = _parse_at(arguments.at)
        if arguments.axis not in dataset.diode.axes:
            raise KeyError(f"{arguments.axis!r} is not an axis of {arguments.file}; "
                           f"axes: {', '.join(dataset.diode.axes)}")
        line = dataset.diode.line(arguments.axis, **at)
    except (KeyError, ValueError) as error:
        message = error.args[0] if error.args else str(error)
        print(f"error: {message}", file=sys.stderr)
        return 2
    fixed = [a for a in dataset.diode.axes if a != arguments.axis and a in line.coords]
    where = ", ".join(f"{a} = {float(line[a]):g}" for a in fixed)
    print(f"cut along {arguments.axis} ({line.sizes[arguments.axis]} points)"
          + (f" at {where} (nearest grid values)" if where else ""), file=sys.stderr)
    names = [n.strip() for n in arguments.vars.split(",") if n.strip()]
    unknown = [n for n in names if n not in line]
    if unknown:
        print(f"error: no dataset {', '.join(unknown)} in {arguments.file}", file=sys.stderr)
        return 2
    names += [f"{e}_{c}" for e in ("I_lin", "J_lin", "I_eqT", "J_eqT") for c in "FB"
              if f"{e}_{c}" in line and f"{e}_{c}" not in names]
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)
    name = f"{Path(arguments.file).stem}_cut-{arguments.axis}" + "".join(
        f"_{a}{float(line[a]):g}" for a in fixed)
    formats = _formats(arguments.formats)
    if formats:
        groups = [[n for n in names if n.startswith(p)] for p in ("I_", "J_", "R_")]
        groups = [g for g in groups if g] + [[n for n in names if not n.startswith(("I_", "J_", "R_"))]]
        groups = [g for g in groups if g]
        figure, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4), layout="constrained",
                                    squeeze=False)
        for ax, group in zip(axes[0], groups):
            panels.plot_line(line, group, axis=arguments.axis, ax=ax)
        figure.suptitle(f"{dataset.diode.parameters.label}" + (f"; {where}" if where else ""), fontsize="medium")
        _save(figure, output, name, formats, arguments.dpi)
        plt.close(figure)
    if arguments.csv:
        columns = [arguments.axis] + [c for c in ("x1", "x3") if c in line.coords
                                      and line[c].dims == (arguments.axis,)]
        columns += names + [s for s in ("status_F", "status_B") if s in line and s not in names]
        table = np.column_stack([np.asarray(line[c].values, dtype=float) for c in columns])
        path = output / f"{name}.csv"
        header = f"# {dataset.diode.parameters.label}" + (f"; {where}" if where else "")
        np.savetxt(path, table, delimiter=",", header=header + "\n" + ",".join(columns), comments="",
                   fmt="%.10g")
        print(path)
    return 0


def _points(arguments) -> int:
    from .pointscan import point_scan

    try:
        path = point_scan(arguments.file, arguments.output, max_per_axis=arguments.max_per_axis,
                          binary=arguments.diodescan, workers=arguments.workers, log=sys.stderr)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(path)
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
    parameters = dataset.diode.parameters
    print(f"model: {parameters.label}", file=out)

    print("grid (axes, innermost first):", file=out)
    for name in reversed(dataset.diode.axes):
        values = np.atleast_1d(dataset[name].values)
        line = f"  {name:<9} {len(values):>6} value{'s' if len(values) != 1 else ' '}  {_range(values)}"
        for shifted, label in (("x1", "ε1 − μ"), ("x3", "ε3 − μ")):
            if shifted in dataset.coords and dataset[shifted].dims == (name,):
                line += f"   ({label}: {_range(dataset[shifted].values)})"
        print(line, file=out)
    extras = sorted(n for n in dataset.data_vars if n.rsplit("_", 1)[0] in ("I_lin", "J_lin", "I_eqT", "J_eqT"))
    if extras:
        print(f"  extras: {', '.join(extras)}", file=out)
    points = int(np.prod([dataset.sizes[d] for d in dataset.diode.axes]))
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
