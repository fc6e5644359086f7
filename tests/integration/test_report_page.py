"""report.html in a real headless browser (chromium): it loads without console
errors and shows every occurrence and every alarm state change; a screenshot is kept
in out/test-artifacts/ as what users get."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.aws.embedded import EmbeddedBackend
from harness.runner import RunOptions, run

from .cli import REPO, harness

ARTIFACTS = REPO / "out" / "test-artifacts"
# As these machines' probe starts it: no sandbox as root, and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# How many pixels of the canvases matching a selector have exactly one colour.
COUNT_PIXELS = """([selector, [r, g, b]]) => {
  let n = 0;
  for (const c of document.querySelectorAll(selector)) {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
  }
  return n;
}"""


def chromium() -> str | None:
    """The browser: CHROMIUM, a chromium on PATH, or Playwright's own build (None: the
    one Playwright installed). `make test` installs one in the background when there is
    none and names, in HARNESS_BROWSER_RC, the file the install's exit status goes to:
    this waits for that, and fails at once, with the install's log, if it failed. `make
    test` requires a browser; a bare `pytest` without one skips this test."""
    required = os.environ.get("HARNESS_REQUIRE_BROWSER") == "1"
    marker = os.environ.get("HARNESS_BROWSER_RC")
    if marker:
        status = REPO / marker
        deadline = time.monotonic() + 900
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(2)
        code = status.read_text().strip() if status.exists() else "still running after 900 s"
        if code != "0":
            log = status.with_name("browser-install.log")
            tail = log.read_text()[-1500:] if log.exists() else ""
            pytest.fail(f"installing chromium failed ({code}):\n{tail}")
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    if _playwright_has_chromium():
        return None
    if required:
        pytest.fail("no chromium: `make browser` installs one")
    pytest.skip("no chromium (`make browser` installs one)")


def _playwright_has_chromium() -> bool:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return Path(playwright.chromium.executable_path).exists()


@pytest.fixture(scope="module")
def page_run(tmp_path_factory: pytest.TempPathFactory, harness_backend: EmbeddedBackend) -> Any:
    report_dir = tmp_path_factory.mktemp("page")
    options = RunOptions(
        start=datetime(2026, 1, 1, tzinfo=UTC),
        days=20,
        faults="outage",
        report_dir=report_dir,
        show_progress=False,
    )
    return run(options, backend=harness_backend)


def test_the_page_renders_every_occurrence_and_alarm_change(page_run: Any) -> None:
    from playwright.sync_api import sync_playwright

    page_path = page_run.report_path.with_name("report.html")
    report = page_run.report
    transitions = sum(len(alarm["transitions"]) for alarm in report["alarms"])
    errors: list[str] = []
    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        shown = page.text_content("#occurrences")
        listed = page.locator("li.transition").count()
        alarm_lines = page.locator("li.transition", has_text="ALARM:").count()
        alarm_red = page.evaluate(COUNT_PIXELS, ["canvas[id^=alarm-]", [214, 69, 65]])
        dead_lettered = page.evaluate(COUNT_PIXELS, ["#timeline", [142, 68, 173]])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()

    assert errors == []
    assert shown == str(len(report["fires"]))
    assert listed == transitions
    assert alarm_lines == sum(a["times_in_alarm"] for a in report["alarms"]) > 0
    assert alarm_red > 0  # the minutes of ALARM show on bands spanning weeks
    assert dead_lettered > 0 and report["totals"]["dlq"] > 0
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_an_occurrence_opens_to_its_attempts_errors_stack_traces_and_log_lines(
    page_run: Any,
) -> None:
    from playwright.sync_api import sync_playwright

    fires = page_run.report["fires"]
    index, fire = next(
        (i, f)
        for i, f in enumerate(fires)
        if any(a["status"] == "function_error" for a in f["attempts"])
    )
    failed = next(a for a in fire["attempts"] if a["status"] == "function_error")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(page_run.report_path.with_name("report.html").as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        page.click(f"#notable button[data-index='{index}']")
        attempts = page.locator("#occurrence details.attempt")
        count = attempts.count()
        summaries = attempts.locator("summary").all_text_contents()
        opened = page.locator("#occurrence details.attempt.function_error").first
        error = opened.locator("pre.error").text_content()
        trace = opened.locator("pre.trace").text_content()
        logs = opened.locator("pre.logs").text_content()
        # Any occurrence opens from the timeline too: the first one, at its left edge.
        page.click("#timeline", position={"x": 7, "y": 60})
        first = page.get_attribute("#occurrence", "data-index")
        browser.close()

    assert count == len(fire["attempts"])
    assert summaries[0].startswith(f"attempt 1: {fire['attempts'][0]['status']}, ")
    assert error == failed["error"]
    assert trace is not None and trace.startswith("Traceback") and 'File "' in trace
    assert logs is not None and f"START RequestId: {failed['request_id']}" in logs
    assert f"REPORT RequestId: {failed['request_id']}" in logs
    assert first == "0"


def test_the_page_stands_alone(page_run: Any) -> None:
    text = page_run.report_path.with_name("report.html").read_text()
    # The run's own data (log lines may hold the mock API's loopback URL) is not markup.
    before, rest = text.split('<script id="data" type="application/json">', 1)
    text = before + rest.split("</script>", 1)[1]

    assert "http://" not in text.replace("http://www.w3.org", "")  # no CDN, fonts or images
    assert "https://" not in text
    assert "<script src" not in text and "<link" not in text


def test_harness_report_rebuilds_the_page(page_run: Any, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(page_run.report_path.parent, copy)
    (copy / "report.html").unlink()

    result = harness("report", str(copy))

    assert result.returncode == 0, result.stderr
    assert (copy / "report.html").read_text() == page_run.report_path.with_name(
        "report.html"
    ).read_text()
    assert str(copy / "report.html") in " ".join(result.stdout.split())


def test_harness_report_without_a_report_is_one_line(tmp_path: Path) -> None:
    result = harness("report", str(tmp_path))

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"harness: error: {tmp_path} has no report.json: give the --report-dir of a `harness run`"
    )


def test_the_page_data_carries_the_runs_numbers(page_run: Any) -> None:
    from harness.report.page import page_data

    report = page_run.report
    data = page_data(report, [])

    assert len(data["fires"]["t"]) == len(report["fires"])
    assert sum(data["durations"]["counts"]) == sum(
        1
        for fire in report["fires"]
        for a in fire["attempts"]
        if a["layer"] in ("lambda", "duplicate") and a["status"] != "throttled"
    )
    assert json.dumps(data)  # plain JSON, embedded as is


def test_text_in_the_data_cannot_end_the_pages_script() -> None:
    from harness.report.page import render

    page = render({"meta": {"schedule": "</script><!--<script>", "start": "x"}})

    assert "</script><!--" not in page.split('<script id="data"', 1)[1].split("</script>")[0]


def test_a_report_that_is_not_a_runs_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("[]")

    result = harness("report", str(tmp_path))

    assert result.returncode == 2
    assert "does not hold a harness run's report" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
