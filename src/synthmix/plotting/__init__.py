"""Figures: the public canvas every plot is drawn on.

:func:`new_figure` gives a headless Agg figure, :data:`PALETTE` the colour-blind-safe colours
and :func:`save_figure` writes a PNG atomically. matplotlib is imported only when a figure is
drawn.
"""

from synthmix.plotting.canvas import DPI, PALETTE, new_figure, save_figure

__all__ = ["DPI", "PALETTE", "new_figure", "save_figure"]
