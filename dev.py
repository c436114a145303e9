#!/usr/bin/env python3
"""Set-up and everyday commands, needing nothing but Python 3.11+.

    python3 dev.py serve   # virtualenv + install + migrate + demo data, then the API
    python3 dev.py test    # the whole test suite (extra arguments go to pytest)
    python3 dev.py lock    # rewrite the lock files from pyproject.toml (--upgrade: newest)
    python3 dev.py vendor  # refresh the committed JavaScript and CSS listed in vendored.json

`serve` and `test` create `.venv` and install the locked versions into it
(requirements-dev.txt, hashes checked) on first run, and again whenever the lock or
pyproject.toml changes. The database is DATABASE_URL, by default SQLite in db.sqlite3.
"""

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed-from"
# What Docker installs (the driver built from source) and what developers and CI install.
LOCKS = {"requirements.txt": "postgres", "requirements-dev.txt": "dev"}
DEV_LOCK = ROOT / "requirements-dev.txt"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs on whatever python3 the user has
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating the virtualenv in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    inputs = (ROOT / "pyproject.toml").read_bytes() + DEV_LOCK.read_bytes()
    wanted = hashlib.sha256(inputs).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("Installing the locked dependencies and the project ...", flush=True)
        pip = [PYTHON, "-m", "pip", "install", "--quiet"]
        run([*pip, "--upgrade", "pip"])
        run([*pip, "--require-hashes", "--requirement", DEV_LOCK])
        run([*pip, "--no-deps", "--editable", "."])
        STAMP.write_text(wanted)


def run(command: list, env: dict | None = None) -> None:
    subprocess.run([str(part) for part in command], cwd=ROOT, env=env, check=True)


def serve(args: list[str]) -> None:
    ensure_environment()
    env = {**os.environ}
    env.setdefault("DEBUG", "1")
    run([PYTHON, "manage.py", "migrate", "--no-input"], env)
    run([PYTHON, "manage.py", "load_demo"], env)
    host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
    print(f"GraphiQL: http://{host}:{port}/graphql/  (Ctrl-C stops the server)", flush=True)
    os.chdir(ROOT)
    os.execve(
        PYTHON,
        [
            str(PYTHON),
            "-m",
            "uvicorn",
            "project.asgi:application",
            "--host",
            host,
            "--port",
            port,
            *args,
        ],
        env,
    )


def test(args: list[str]) -> None:
    ensure_environment()
    env = {**os.environ}
    # Tests run with DEBUG off, as production does; they only need some secret key.
    env.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
    # ... but over plain HTTP: the test client and the e2e server speak no TLS.
    env.setdefault("SECURE_SSL_REDIRECT", "0")
    env.setdefault("SECURE_COOKIES", "0")
    # Thousands of requests from one address: the rate-limit tests switch limits on.
    env.setdefault("GRAPHQL_RATE_LIMIT_ANONYMOUS", "0")
    env.setdefault("GRAPHQL_RATE_LIMIT_TOKEN", "0")
    os.chdir(ROOT)
    os.execve(PYTHON, [str(PYTHON), "-m", "pytest", *args], env)


def lock(args: list[str]) -> None:
    """Resolve pyproject.toml again into both lock files, keeping the versions they pin
    unless `--upgrade` (or `--upgrade-package NAME`) is given."""
    ensure_environment()
    for name, extra in LOCKS.items():
        command = [VENV / "bin" / "uv", "pip", "compile", "pyproject.toml", "--quiet"]
        command += ["--extra", extra, "--universal", "--python-version", "3.11"]
        command += ["--generate-hashes", "--custom-compile-command", "python3 dev.py lock"]
        run([*command, "--output-file", name, *args])
    print("Locked: " + ", ".join(LOCKS), flush=True)


def vendor(args: list[str]) -> None:
    """Fetch every package in vendored.json from the npm registry at its pinned version,
    check the tarball against the registry's integrity hash, copy the listed files (each
    under its base name) and record their sha256 in vendored.json."""
    manifest_path = ROOT / "vendored.json"
    manifest = json.loads(manifest_path.read_text())
    for package in manifest["packages"]:
        name, version = package["name"], package["version"]
        with urllib.request.urlopen(f"https://registry.npmjs.org/{name}/{version}") as answer:
            dist = json.load(answer)["dist"]
        with urllib.request.urlopen(dist["tarball"]) as answer:
            tarball = answer.read()
        algorithm, _, expected = dist["integrity"].partition("-")
        if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
            sys.exit(f"{name}@{version}: the tarball does not match the registry's {algorithm}")
        into = ROOT / package["into"]
        if into.exists():
            for old in into.iterdir():
                old.unlink()
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            for member in package["files"]:
                content = archive.extractfile(f"package/{member}").read()
                (into / Path(member).name).write_bytes(content)
                package["files"][member] = hashlib.sha256(content).hexdigest()
        package["integrity"] = dist["integrity"]
        print(f"{name}@{version}: {len(package['files'])} files into {package['into']}")
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


COMMANDS = {"serve": serve, "test": test, "lock": lock, "vendor": vendor}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
