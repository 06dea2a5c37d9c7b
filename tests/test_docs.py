"""The repo stands alone: every link in its Markdown and every document its files cite resolves
inside it (a heading too, for a link to one)."""

import re
import subprocess
from pathlib import Path

import pytest

from local.template import ROOT

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CITED_DOCUMENT = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
HEADING = re.compile(r"^#+\s+(.*)$", re.MULTILINE)
# A file of the repo named in a document, as `folder/file.py`.
# Made by the commands, never committed (git-ignored).
MADE_AT_RUN_TIME = (".local/", ".aws-sam/", ".venv/", ".tools/")
NAMED_FILE = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|yaml|json|md|toml|txt|png|pdf|sh))`")
# Where a document named without its folder is looked for.
DOC_FOLDERS = ("", "docs/")


def tracked_text_files() -> list[Path]:
    """The repo's files (committed or about to be), without binaries and recorded results."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607 - git of the checkout
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    files = [ROOT / name for name in listed if not name.startswith("bench/results/")]
    return [path for path in files if path.suffix in {".md", ".py", ".yaml", ".toml", ".json", ""} and path.is_file()]


def anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def has_heading(document: Path, wanted: str) -> bool:
    return wanted in {anchor(found) for found in HEADING.findall(document.read_text())}


def markdown_files() -> list[Path]:
    return [path for path in tracked_text_files() if path.suffix == ".md"]


@pytest.mark.parametrize("document", markdown_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_of_a_document_resolves_inside_the_repo(document: Path) -> None:
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):  # http(s):, mailto:
            continue
        path, _, heading = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not (
            resolved.is_relative_to(ROOT) and resolved.exists() and (not heading or has_heading(resolved, heading))
        ):
            broken.append(target)
    assert broken == []


def test_every_document_a_file_cites_is_in_the_repo() -> None:
    missing = set()
    for path in tracked_text_files():
        for cited in CITED_DOCUMENT.findall(path.read_text(errors="replace")):
            places = [path.parent / cited, *(ROOT / folder / cited for folder in DOC_FOLDERS)]
            if not any(place.resolve().is_relative_to(ROOT) and place.exists() for place in places):
                missing.add(f"{path.relative_to(ROOT)}: {cited}")
    assert sorted(missing) == []


@pytest.mark.parametrize("document", markdown_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_file_a_document_names_is_in_the_repo(document: Path) -> None:
    named = {name for name in NAMED_FILE.findall(document.read_text()) if not name.startswith(MADE_AT_RUN_TIME)}
    assert sorted(name for name in named if not (ROOT / name).exists() and not (document.parent / name).exists()) == []
