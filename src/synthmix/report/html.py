"""Self-contained HTML reports: one file, figures embedded, inline CSS, no scripts.

A report is a title and a sequence of :class:`Section` objects; a section's ``body`` is a
sequence of blocks rendered in order:

* ``str`` — a paragraph of plain text (escaped; never interpreted as HTML),
* :class:`Callout` — a highlighted paragraph (e.g. "What to take from it"),
* :class:`Bullets` — a bulleted list,
* :class:`Figure` — an image file embedded as a base64 ``data:`` URI,
* :class:`Table` — a table of plain-text cells (numbers formatted with :func:`format_cell`).

Everything user-supplied is escaped by Jinja2's autoescaping, so a report can be opened from
anywhere (an e-mail, an artifact store) without network access and without running code.

Examples
--------
>>> from synthmix.report.html import Section, Table, render_html
>>> sections = [Section("Numbers", ("a < b",)), Section("T", (Table(("x",), ((1.5,),)),))]
>>> html = render_html("Demo", sections)
>>> "a &lt; b" in html and "<td>1.5</td>" in html
True
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._io import write_text
from synthmix._validation import fail

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

_MIME = {
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".svg": ("image/svg+xml", None),
}


@dataclass(frozen=True)
class Figure:
    """An image embedded in the report.

    Parameters
    ----------
    path : path-like
        A ``.png``, ``.jpg``/``.jpeg`` or ``.svg`` file, read when the report is rendered.
    caption : str, optional
        Plain text under the image.
    alt : str, optional
        Alternative text (defaults to the caption).
    """

    path: str | os.PathLike[str]
    caption: str = ""
    alt: str = ""


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells.

    Parameters
    ----------
    columns : sequence of str
        Header cells.
    rows : sequence of sequences
        Body rows, each as long as ``columns``; cells go through :func:`format_cell`.
    caption : str, optional
    flagged : sequence of bool, optional
        Rows to highlight (e.g. failed checks); empty for none, else one per row.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    flagged: Sequence[bool] = ()


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    items: Sequence[str]


@dataclass(frozen=True)
class Callout:
    """A highlighted paragraph with an optional bold lead-in (e.g. ``"Takeaway"``)."""

    text: str
    title: str = ""


Block = str | Callout | Bullets | Figure | Table


@dataclass(frozen=True)
class Section:
    """A titled part of a report.

    Parameters
    ----------
    title : str
    body : sequence of blocks
        ``str`` paragraphs, :class:`Callout`, :class:`Bullets`, :class:`Figure` and
        :class:`Table` objects, rendered in order.
    """

    title: str
    body: Sequence[Block] = ()


def format_cell(value: Any) -> str:
    """Text of a table cell: floats to 4 significant digits, NaN as ``"–"``, rest ``str``.

    Examples
    --------
    >>> format_cell(0.123456), format_cell(3), format_cell(float("nan")), format_cell(True)
    ('0.1235', '3', '–', 'yes')
    """
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "–"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v:.4g}"
    return str(value)


def embed_image(path: str | os.PathLike[str]) -> str:
    """The image at ``path`` as a ``data:<mime>;base64,...`` URI.

    Raises
    ------
    ValidationError
        Unsupported extension, missing file, or content that does not match the extension.
    """
    p = Path(path)
    kind = _MIME.get(p.suffix.lower())
    if kind is None:
        raise fail("figure path", f"end in one of {sorted(_MIME)}", str(p))
    try:
        data = p.read_bytes()
    except OSError:
        raise fail("figure path", "name a readable file", str(p)) from None
    mime, magic = kind
    if magic is not None and not data.startswith(magic):
        raise fail("figure path", f"contain {mime} data (its extension says so)", str(p))
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, str):
        return {"kind": "paragraph", "text": block}
    if isinstance(block, Callout):
        return {"kind": "callout", "text": block.text, "title": block.title}
    if isinstance(block, Bullets):
        return {"kind": "bullets", "items": [str(i) for i in block.items]}
    if isinstance(block, Figure):
        return {
            "kind": "figure",
            "src": embed_image(block.path),
            "caption": block.caption,
            "alt": block.alt or block.caption or Path(block.path).stem,
        }
    if isinstance(block, Table):
        ncol = len(block.columns)
        for i, row in enumerate(block.rows):
            if len(row) != ncol:
                raise fail(
                    "table rows", f"have {ncol} cells like the header", f"row {i} with {len(row)}"
                )
        if block.flagged and len(block.flagged) != len(block.rows):
            raise fail(
                "table flagged", f"have one entry per row ({len(block.rows)})", len(block.flagged)
            )
        flags = list(block.flagged) or [False] * len(block.rows)
        return {
            "kind": "table",
            "columns": [str(c) for c in block.columns],
            "rows": [
                {"cells": [format_cell(c) for c in row], "flagged": bool(f)}
                for row, f in zip(block.rows, flags, strict=True)
            ],
            "caption": block.caption,
        }
    raise fail(
        "section body",
        "contain str, Callout, Bullets, Figure or Table blocks",
        type(block).__name__,
    )


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("synthmix.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    title: str,
    sections: Sequence[Section],
    *,
    subtitle: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Render a report to an HTML string.

    Parameters
    ----------
    title : str
        Page and heading title.
    sections : sequence of Section
    subtitle : str, optional
        One line under the title.
    metadata : mapping, optional
        Key/value pairs shown in the footer (version, runtime, seed ...).

    Returns
    -------
    str
        A complete HTML5 document with no external resources and no scripts.
    """
    for s in sections:
        if not isinstance(s, Section):
            raise fail("sections", "contain only synthmix.report.Section objects", type(s).__name__)
    template = _environment().get_template("report.html")
    return str(
        template.render(
            title=title,
            subtitle=subtitle,
            sections=[{"title": s.title, "blocks": [_block(b) for b in s.body]} for s in sections],
            metadata=[(str(k), format_cell(v)) for k, v in (metadata or {}).items()],
        )
    )


def render_report(
    title: str,
    sections: Sequence[Section],
    out_path: str | os.PathLike[str],
    *,
    subtitle: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Render a report (see :func:`render_html`) and write it atomically to ``out_path``.

    Returns
    -------
    Path
        ``out_path``.
    """
    html = render_html(title, sections, subtitle=subtitle, metadata=metadata)
    out = Path(out_path)
    write_text(out, html)
    return out
