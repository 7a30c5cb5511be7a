"""Self-contained HTML reports built from result objects.

:mod:`synthmix.report.html` renders reports (no matplotlib needed); the figures they embed are
drawn by :mod:`synthmix.plotting`, imported only when a figure is drawn.
"""

from synthmix.report.html import (
    Bullets,
    Callout,
    Figure,
    Section,
    Table,
    embed_image,
    format_cell,
    render_html,
    render_report,
)

__all__ = [
    "Bullets",
    "Callout",
    "Figure",
    "Section",
    "Table",
    "embed_image",
    "format_cell",
    "render_html",
    "render_report",
]
