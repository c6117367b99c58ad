"""Analysis tools for diodescan result files.

>>> import diodescan_analysis as da
>>> ds = da.load("out/fig2.h5")              # xarray.Dataset, masked by status
>>> fig = da.paper_figure(ds, dT=1.0)        # the layout of the paper's Figs. 2-4
>>> fig.savefig("fig2.png")

Importing the package registers the ``ds.diode`` accessor (analysis/README.md).
Plotting functions import matplotlib on first use, so ``load`` works without it.
"""

from . import accessor as _accessor  # registers ``ds.diode``
from .loader import (
    PARAMETER_KEYS,
    STATUS_CODES,
    ModelParameters,
    ScanParameters,
    job_title,
    load,
    model_parameters,
    scan_axes,
    scan_parameters,
)
from .numerics import derivative, find_extremum, point_reference, ridge
from .spectrum import SPECTRUM_KIND, integrate_spectrum, load_spectrum, plot_spectrum, spectrum_figure

__all__ = [
    "STATUS_CODES",
    "PARAMETER_KEYS",
    "ModelParameters",
    "ScanParameters",
    "scan_axes",
    "scan_parameters",
    "derivative",
    "find_extremum",
    "ridge",
    "point_reference",
    "job_title",
    "load",
    "model_parameters",
    "paper_figure",
    "dT_overview_figure",
    "plot_map",
    "plot_cut",
    "paper_cuts",
    "SPECTRUM_KIND",
    "load_spectrum",
    "integrate_spectrum",
    "plot_spectrum",
    "spectrum_figure",
]
__version__ = "0.1.0"

_PLOTTING = {"paper_figure", "dT_overview_figure", "plot_map", "plot_cut", "paper_cuts",
             "select_dT", "nearest_eps3", "Cuts"}
_PANELS = {"figure", "fig2e_figure", "fig2e_summary", "dT_figure", "map_figure", "line_figure",
           "thermal_conductance"}


def __getattr__(name):
    if name in ("plots", "panels"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in _PLOTTING:
        from . import plots

        return getattr(plots, name)
    if name in _PANELS:
        from . import panels

        return getattr(panels, name)
    raise AttributeError(f"module 'diodescan_analysis' has no attribute {name!r}")
