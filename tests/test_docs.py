"""The project's own docs: every section the code cites exists, and no file points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
SOURCE_DIRS = ("python", "rust", "tests", "benches", "scripts", "docs", ".ci")
SUFFIXES = {".py", ".pyi", ".rs", ".md", ".yaml", ".toml", ".sh", ""}
SKIP_PARTS = {"target", "__pycache__", ".venv", "node_modules"}


def _text_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "Cargo.toml"]
    for top in SOURCE_DIRS:
        base = ROOT / top
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.is_file() and path.suffix in SUFFIXES and not SKIP_PARTS & set(path.parts):
                files.append(path)
    return files


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def _headings(doc: str) -> list[str]:
    return [
        line.lstrip("#").strip()
        for line in (DOCS / doc).read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]


@pytest.fixture(scope="module")
def sources() -> dict[Path, str]:
    return {p: _read(p) for p in _text_files()}


def test_the_three_docs_exist_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("ALGORITHM.md", "DESIGN.md", "REWARDS.md"):
        assert (DOCS / doc).is_file(), doc
        assert f"(docs/{doc})" in readme, f"README.md does not link docs/{doc}"


def test_cited_algorithm_sections_exist(sources: dict[Path, str]) -> None:
    numbered = {int(m.group(1)) for h in _headings("ALGORITHM.md") if (m := re.match(r"(\d+)\. ", h))}
    assert numbered == set(range(1, 8))
    cited = re.compile(r"ALGORITHM\.md[^\n§]{0,12}§(\d+)(?:\s*[–-]\s*§?(\d+))?")
    for path, text in sources.items():
        for match in cited.finditer(text):
            for number in filter(None, match.groups()):
                assert int(number) in numbered, f"{path.relative_to(ROOT)} cites ALGORITHM.md §{number}"


@pytest.mark.parametrize("doc", ["DESIGN.md", "REWARDS.md"])
def test_cited_named_sections_exist(sources: dict[Path, str], doc: str) -> None:
    headings = _headings(doc)
    body = (DOCS / doc).read_text(encoding="utf-8")
    cited = re.compile(re.escape(doc) + r'\s*"([^"\n]+)"')
    for path, text in sources.items():
        for match in cited.finditer(text):
            name = match.group(1)
            found = any(name in h for h in headings) or (doc == "REWARDS.md" and name in body)
            assert found, f'{path.relative_to(ROOT)} cites {doc} "{name}", which it does not have'


def test_no_file_cites_a_doc_outside_the_repository(sources: dict[Path, str]) -> None:
    missing = re.compile(r"\b(STYLE\.md|spec/[A-Z]+\.md)")
    for path, text in sources.items():
        assert not missing.search(text), f"{path.relative_to(ROOT)} cites {missing.search(text)}"


def test_no_absolute_paths_into_this_machine(sources: dict[Path, str]) -> None:
    workspace = "/" + "work" + "/"  # written split so this file does not match itself
    for path, text in sources.items():
        assert workspace not in text, f"{path.relative_to(ROOT)} holds an absolute path ({workspace}...)"
