"""Every reference to a document points inside the repository, at a file that exists.

The mathematics, architecture and conventions live in ``docs/`` (built strictly by
``make docs``, which ``make test`` runs, so a broken link between pages fails the build). This
test covers the other direction: code, tests, benchmarks and the README cite ``docs/...`` paths,
and each must exist; none may cite a document that a clone does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    *sorted((ROOT / "src" / "synthmix").rglob("*.py")),
    *sorted((ROOT / "tests").rglob("*.py")),
    *sorted((ROOT / "benchmarks").rglob("*.py")),
    ROOT / "README.md",
]
DOC_REF = re.compile(r"docs/[A-Za-z0-9_./-]+\.md")
# Documents of the project's planning area, which a clone does not contain.
OUTSIDE = re.compile(r"\bspec/\w+\.md|DESIGN\.md|\.\./shared|\bseeds?/0\d\d|\bseed 00\d")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_sources_cite_documents() -> None:
    cited = {m for path in SOURCES for m in DOC_REF.findall(_text(path))}
    assert {"docs/math/rmt.md", "docs/math/scaling.md", "docs/math/valuation.md"} <= cited


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_document_exists(path: Path) -> None:
    missing = sorted({ref for ref in DOC_REF.findall(_text(path)) if not (ROOT / ref).is_file()})
    assert not missing, f"{path.relative_to(ROOT)} cites {missing}, absent from the repository"


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if p.name != "test_docs.py"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_nothing_cites_a_document_outside_the_repository(path: Path) -> None:
    hits = sorted(set(OUTSIDE.findall(_text(path))))
    assert not hits, f"{path.relative_to(ROOT)} cites {hits}, which a clone does not contain"


def test_the_site_lists_every_page() -> None:
    config = _text(ROOT / "mkdocs.yml")
    pages = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert pages and all(page in config for page in pages)
