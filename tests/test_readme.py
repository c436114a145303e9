"""The README stays true and short: its first query gives the answer it shows, every path
it and the docs name exists, every package is in its layout, and nothing points outside
the repository."""

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MADE_BY_THE_COMMANDS = {".venv/", "bench/.data/"}  # what `dev.py` and `bench/` create
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH = re.compile(r"`([\w.-]*/[\w./-]*)`")
TOP_LEVEL = {path.name for path in ROOT.iterdir()}


def test_the_readme_fits_on_a_few_screens():
    assert len(README.splitlines()) <= 250


@pytest.mark.django_db
def test_the_first_query_gives_the_answer_the_readme_shows():
    call_command("load_demo", stdout=io.StringIO())
    section = README.split("## A first query", 1)[1].split("\n## ", 1)[0]
    command, answer = re.findall(r"```(?:sh|json)\n(.*?)```", section, re.S)
    body = json.loads(re.search(r"-d '(.*)'", command, re.S).group(1))
    response = Client().post("/graphql/", json.dumps(body), content_type="application/json")
    assert response.json() == json.loads(answer)


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_and_path_a_page_names_exists(page):
    text = page.read_text()
    missing = []
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://")):
            continue
        name, _, anchor = target.partition("#")
        linked = (page.parent / name).resolve() if name else page
        if not linked.exists() or (anchor and anchor not in anchors(linked)):
            missing.append(target)
    for path in PATH.findall(text):
        in_repository = path.split("/")[0] in TOP_LEVEL  # not `/graphql/`, `application/json`
        if in_repository and path not in MADE_BY_THE_COMMANDS and not (ROOT / path).exists():
            missing.append(path)
    assert not missing, f"{page.name} names what does not exist: {missing}"


def test_the_layout_names_every_package_and_folder():
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    folders = {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir() and not path.name.startswith(".") and tracked(path)
    }
    unnamed = [name for name in sorted(folders) if f"`{name}/" not in layout]
    assert not unnamed, f"the README's layout does not name {unnamed}"


def tracked(path: Path) -> bool:
    listed = subprocess.run(
        ["git", "ls-files", "--", path.name], cwd=ROOT, capture_output=True, text=True
    )
    return bool(listed.stdout.strip()) or listed.returncode != 0


def test_nothing_in_the_repository_points_outside_it():
    outside = "../" + "shared"
    found = subprocess.run(
        ["git", "grep", "-l", "-F", outside], cwd=ROOT, capture_output=True, text=True
    )
    assert found.stdout == "", f"these files point outside the repository: {found.stdout}"
