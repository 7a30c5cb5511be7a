"""The self-contained HTML report renderer."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path

import pytest

from synthmix.exceptions import ValidationError
from synthmix.report import (
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

EVIL = '<script>alert("x")</script> & <a href="https://example.com">link</a>'


def tiny_png(path: Path) -> bytes:
    """Write a valid 1x1 grey PNG and return its bytes."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return data


def test_text_everywhere_is_escaped(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    tiny_png(png)
    html = render_html(
        EVIL,
        [
            Section(
                EVIL,
                (
                    EVIL,
                    Callout(EVIL, title=EVIL),
                    Bullets((EVIL,)),
                    Figure(png, caption=EVIL, alt=EVIL),
                    Table((EVIL,), ((EVIL,),), caption=EVIL),
                ),
            ),
            Section("second", ("plain",)),
        ],
        subtitle=EVIL,
        metadata={EVIL: EVIL},
    )
    assert "<script" not in html
    assert not re.search(r"""href\s*=\s*["']?https?:""", html)
    assert html.count("&lt;script&gt;") >= 10
    assert "&amp;" in html


def test_figures_are_embedded_as_data_uris(tmp_path: Path) -> None:
    png = tmp_path / "plot.png"
    raw = tiny_png(png)
    html = render_html("t", [Section("s", (Figure(png, caption="cap"),))])
    match = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="cap">', html)
    assert match is not None
    assert base64.b64decode(match.group(1)) == raw
    assert str(tmp_path) not in html  # the file path is not referenced
    assert embed_image(png).startswith("data:image/png;base64,")


def test_svg_is_embedded_with_its_mime_type(tmp_path: Path) -> None:
    svg = tmp_path / "f.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    assert embed_image(svg).startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("f.gif", b"GIF89a", "end in one of"),
        ("f.png", b"not a png", "contain image/png data"),
        ("missing.png", None, "name a readable file"),
    ],
)
def test_bad_figures_are_rejected(
    tmp_path: Path, name: str, content: bytes | None, rule: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValidationError, match=rf"^figure path must {rule}"):
        render_html("t", [Section("s", (Figure(path),))])


def test_tables_format_cells_and_flag_rows() -> None:
    html = render_html(
        "t",
        [
            Section(
                "s",
                (
                    Table(
                        ("name", "value", "ok"),
                        (("a", 0.123456, True), ("b", float("nan"), False)),
                        flagged=(False, True),
                    ),
                ),
            )
        ],
    )
    assert "<td>0.1235</td>" in html and "<td>–</td>" in html and "<td>yes</td>" in html
    assert html.count('class="flag"') == 1
    assert re.search(r'<tr class="flag"><td>b</td>', html)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (Table(("a", "b"), (("only one",),)), "^table rows must have 2 cells"),
        (
            Table(("a",), (("x",), ("y",)), flagged=(True,)),
            "^table flagged must have one entry per row",
        ),
    ],
)
def test_malformed_tables_are_rejected(table: Table, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        render_html("t", [Section("s", (table,))])


def test_bad_sections_and_blocks_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"^sections must"):
        render_html("t", ["not a section"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"^section body must"):
        render_html("t", [Section("s", (42,))])  # type: ignore[arg-type]


def test_format_cell() -> None:
    assert format_cell(0.000123456) == "0.0001235"
    assert format_cell(12345.678) == "1.235e+04"
    assert format_cell(float("inf")) == "∞"
    assert format_cell(False) == "no"
    assert format_cell(7) == "7"
    assert format_cell("x") == "x"


def test_render_report_writes_one_complete_file(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    path = render_report("Title", [Section("One", ("hello",))], out, metadata={"version": "1.0"})
    assert path == out
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<style>" in text and "<h1>Title</h1>" in text and "<dd>1.0</dd>" in text
    assert "<nav>" not in text  # no table of contents for a single section
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]
