"""The shared canvas every synthmix figure is drawn on.

Figures are built with :class:`matplotlib.figure.Figure` on the Agg canvas directly — never
through ``pyplot`` — so drawing works headless, leaves no global state (no open figures, no
backend switch in a user's session) and matplotlib is imported only when a figure is drawn,
never by ``import synthmix``. Files are written atomically, without date metadata, so the
same figure gives the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from synthmix._io import atomic_open

__all__ = ["DPI", "PALETTE", "new_figure", "save_figure"]

#: Resolution of every saved PNG (dots per inch).
DPI = 150
#: Colour-blind-safe qualitative palette (Okabe–Ito), dark enough on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def new_figure(width: float, height: float) -> Any:
    """A constrained-layout figure of ``width`` × ``height`` inches on its own Agg canvas.

    Parameters
    ----------
    width, height : float
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with ``pyplot``; drop it and it is garbage-collected.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = DPI) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (no software/date metadata).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to write.
    path : str or os.PathLike
        Destination; its folder must exist. Replaced atomically.
    dpi : int, default :data:`DPI`
        Resolution.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        # user strings (source names, file stems) are drawn as written: "$\frac{1}$" is a
        # name, not broken TeX that would stop the figure
        text.set_parse_math(False)
    out = Path(path)
    with atomic_open(out, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, metadata={"Software": None})
    return out
