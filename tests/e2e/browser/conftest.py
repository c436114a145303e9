"""Debian's Chromium, driven by Playwright, against the live servers of tests/e2e.

Playwright's own browser download does not work here (and is not wanted): the tests use
/usr/bin/chromium (`apt-get install chromium`). Without it they are skipped on a
developer's machine and fail in CI (CI=true). A failing test leaves a screenshot of its
page, and the page's requests and console messages, in test-artifacts/.
"""

import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import free_port, wait_until_serving

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CSP_VIOLATION = re.compile(r"Content Security Policy|Refused to (load|execute|apply)")


# Per module, not per session: Playwright's synchronous API keeps an event loop running
# on this thread while it is started, which tests of async code elsewhere (asyncio.run)
# could not run beside.
@pytest.fixture(scope="module")
def playwright_chromium():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; install it with `apt-get install chromium`."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"The browser tests must run in CI: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Django takes that running loop for async code and would refuse its ORM (the tests
    # create users and check the admin history directly). The servers under test are
    # other processes, started without this.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
            )
            yield browser
            browser.close()


# Of every browser test: its outcome and its seconds, setting up (a live server, the
# demo catalogue) and tearing down included, for the summary.
OUTCOMES: dict[str, list] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    outcome = OUTCOMES.setdefault(item.name, ["passed", 0.0])
    outcome[1] += report.duration
    if report.when == "call":
        item.call_failed = report.failed
    if report.when == "call" or report.outcome != "passed":
        outcome[0] = report.outcome if outcome[0] == "passed" else outcome[0]
    return report


def pytest_terminal_summary(terminalreporter):
    """Lines in the log that say whether the browser tests ran, for CI's reader."""
    if not OUTCOMES:
        return
    counts: dict[str, int] = {}
    for outcome, _ in OUTCOMES.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    seconds = sum(duration for _, duration in OUTCOMES.values())
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    terminalreporter.write_line(f"browser tests ({CHROMIUM}): {summary} in {seconds:.1f} s")
    for name, (outcome, duration) in OUTCOMES.items():
        terminalreporter.write_line(f"  {outcome:<7} {duration:5.1f} s  {name}")


class PageRecord:
    """Every request a page made, the answers it got, and what the browser console said."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.responses: list = []  # Playwright's Response objects
        self.console: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("response", lambda response: self.responses.append(response))
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.console.append(f"uncaught: {error}"))

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname for url in self.requests if urlsplit(url).hostname}

    def policy_violations(self) -> list[str]:
        return [line for line in self.console if CSP_VIOLATION.search(line)]


@contextmanager
def static_site(directory: Path):
    """`python -m http.server` serving `directory` on a free port: another origin."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    wait_until_serving(process, origin, seconds=10)
    try:
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browser_page(request, playwright_chromium):
    """A fresh page in a context of its own (no cookies shared between tests), with
    `page.record` of its requests and console; a screenshot and that record in
    test-artifacts/ if the test fails."""
    context = playwright_chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.record = PageRecord(page)
    yield page
    if getattr(request.node, "call_failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=shot, full_page=True)
        record = page.record
        shot.with_suffix(".log").write_text(
            "\n".join(["requests:", *record.requests, "console:", *record.console]) + "\n"
        )
        print(f"screenshot of the failing page: {shot}, its requests and console: .log")
    context.close()
