"""The lock files agree with pyproject.toml, and the tests run on what they lock."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Each lock file and the pyproject extra it resolves, besides the main dependencies.
LOCKS = {"requirements.txt": "postgres", "requirements-dev.txt": "dev"}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\]+?))?\s*\\?$")


def locked(name: str) -> dict[str, tuple[str, Marker | None, int]]:
    """Package -> (version, marker, number of hashes) of one lock file."""
    pins: dict[str, tuple[str, Marker | None, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := PIN.match(line):
            marker = match["marker"]
            current = canonicalize_name(match["name"])
            pins[current] = (match["version"], Marker(marker) if marker else None, 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            found_version, marker, hashes = pins[current]
            pins[current] = (found_version, marker, hashes + 1)
    return pins


@pytest.mark.parametrize(("lock_file", "extra"), LOCKS.items())
def test_every_requirement_is_locked_at_a_version_it_allows(lock_file, extra):
    pins = locked(lock_file)
    wanted = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"][extra]]
    problems = []
    for text in wanted:
        requirement = Requirement(text)
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name} is not in {lock_file}")
        elif not requirement.specifier.contains(pin[0], prereleases=True):
            problems.append(f"{requirement.name}=={pin[0]} is outside {requirement.specifier}")
    assert not problems, f"{lock_file} is stale; run `python3 dev.py lock`: {problems}"


@pytest.mark.parametrize("lock_file", LOCKS)
def test_every_pin_carries_its_hashes(lock_file):
    unhashed = [name for name, (_, _, hashes) in locked(lock_file).items() if not hashes]
    assert unhashed == []


def test_the_tests_run_on_the_locked_versions():
    different = []
    for name, (pinned, marker, _) in locked("requirements-dev.txt").items():
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            different.append(f"{name}: locked {pinned}, installed {installed}")
    assert different == [], "reinstall with `python3 dev.py test` (it installs from the lock)"
