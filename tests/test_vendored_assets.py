"""The JavaScript and CSS we serve ourselves are exactly the npm files vendored.json pins
(`python3 dev.py vendor` refreshes them)."""

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "vendored.json").read_text())
PACKAGES = MANIFEST["packages"]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package["name"])
def test_each_vendored_file_is_the_recorded_one(package):
    into = ROOT / package["into"]
    assert package["version"] in package["into"], "the folder names the version it holds"
    assert package["integrity"].startswith("sha512-"), "the registry's tarball hash is kept"
    for member, sha256 in package["files"].items():
        content = (into / Path(member).name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == sha256, f"{into / Path(member).name}"
    assert {path.name for path in into.iterdir()} == {
        Path(member).name for member in package["files"]
    }, f"{into} holds only the files vendored.json lists"


def test_no_other_version_of_a_package_is_left_behind():
    folders = {ROOT / package["into"] for package in PACKAGES}
    for parent in {folder.parent for folder in folders}:
        stale = {path for path in parent.iterdir() if "@" in path.name} - folders
        assert not stale, f"folders vendored.json no longer lists: {sorted(stale)}"


def test_graphiql_is_the_build_strawberry_loads_from_its_cdn():
    """Strawberry's own GraphiQL page loads these files from unpkg.com with Subresource
    Integrity hashes; ours are the same bytes, so we serve the GraphiQL it is tested with."""
    from strawberry.http.ides import get_graphql_ide_html

    cdn_files = re.findall(
        r'(?:src|href)="https://unpkg\.com/((?:@[^/]+/)?[^@/]+)@([^/]+)/([^"]+)"\s+'
        r'integrity="sha384-([^"]+)"',
        get_graphql_ide_html("graphiql"),
    )
    vendored = {package["name"]: package for package in PACKAGES}
    checked = 0
    for name, version, member, sha384 in cdn_files:
        if name == "js-cookie":  # our page gets the CSRF token from the server instead
            continue
        package = vendored[name]
        assert package["version"] == version, f"strawberry loads {name}@{version}"
        content = (ROOT / package["into"] / Path(member).name).read_bytes()
        assert base64.b64encode(hashlib.sha384(content).digest()).decode() == sha384, member
        checked += 1
    assert checked == 6
