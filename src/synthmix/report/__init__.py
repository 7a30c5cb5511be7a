"""Figures and self-contained HTML reports built from result objects.

:mod:`synthmix.report.html` renders reports (no matplotlib needed);
:mod:`synthmix.report.figures` draws matplotlib figures and is imported only when used.
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
