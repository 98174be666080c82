"""The HTML report in a real headless browser (Debian's chromium + chromedriver through selenium):
it loads without console errors, its tables sort on a header click, and a screenshot of it is
not empty. Skipped, with the reason, where the browser or selenium is missing; nothing is
downloaded at run time (the driver path is given, so selenium's manager is not used)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NASH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = os.environ.get("NASH_CHROMEDRIVER") or shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip(
            "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver); "
            f"found chromium={CHROMIUM}, chromedriver={CHROMEDRIVER}"
        )
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="needs the selenium package (the test extra)"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report(small_suite_file: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", "report", str(small_suite_file.parent), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _column(driver, table, index: int) -> list[str]:
    return [
        row.find_elements("tag name", "td")[index].text
        for row in table.find_elements("css selector", "tbody tr")
    ]


@pytest.mark.slow
def test_the_page_loads_without_errors_and_the_table_sorts_on_click(browser, report):
    browser.get(report.as_uri())
    assert _errors(browser) == []
    table = browser.find_element("css selector", "#leaderboard table.sortable")
    headers = [th.text.strip() for th in table.find_elements("css selector", "thead th")]
    proxy, headline = headers.index("proxy"), headers.index("mean ρ")
    ranked = [float(x) for x in _column(browser, table, headline)]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) >= 3
    names = _column(browser, table, proxy)
    assert names != sorted(names)  # so that sorting by name is visible

    table.find_elements("css selector", "thead th")[proxy].click()
    assert _column(browser, table, proxy) == sorted(names, key=str.lower)
    table.find_elements("css selector", "thead th")[proxy].click()
    assert _column(browser, table, proxy) == sorted(names, key=str.lower, reverse=True)
    table.find_elements("css selector", "thead th")[headline].click()  # ascending by value
    assert [float(x) for x in _column(browser, table, headline)] == sorted(ranked)
    assert table.find_elements("css selector", "thead th")[headline].get_attribute("aria-sort") == "ascending"
    assert _errors(browser) == []


def content_pixels(driver) -> tuple[float, int]:
    """In a screenshot of the page, the share of pixels inside ``<main>`` (what lies below the
    report's header) that differ from the most common colour, and the number of colours there;
    (0, 0) when the page has no ``<main>``."""
    from PIL import Image

    png = driver.get_screenshot_as_png()
    mains = driver.find_elements("tag name", "main")
    if not mains:
        return 0.0, 0
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / driver.execute_script("return window.innerWidth")  # device pixels per CSS pixel
    r = mains[0].rect
    box = (
        int(r["x"] * scale),
        int(r["y"] * scale),
        int(min(image.width, (r["x"] + r["width"]) * scale)),
        int(min(image.height, (r["y"] + r["height"]) * scale)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return 0.0, 0
    area = image.crop(box)
    colours = area.getcolors(maxcolors=area.width * area.height)
    return 1 - max(colours)[0] / (area.width * area.height), len(colours)


def looks_rendered(driver) -> bool:
    share, colours = content_pixels(driver)
    return share > 0.03 and colours > 100


def test_a_screenshot_of_the_report_is_not_empty(browser, report):
    browser.get(report.as_uri())
    share, colours = content_pixels(browser)
    assert looks_rendered(browser), (
        f"the report rendered (nearly) empty: {share:.1%} non-background pixels, {colours} colours"
    )
    svgs = browser.find_elements("css selector", "svg")
    assert svgs and all(s.size["width"] > 100 and s.size["height"] > 100 for s in svgs[:5])


def test_the_screenshot_check_fails_on_an_empty_page(browser, report, tmp_path):
    html = report.read_text()
    header_only = tmp_path / "header_only.html"  # the report's own header and styles, an empty body
    header_only.write_text(html.split("<main>")[0] + "<main></main></body></html>")
    browser.get(header_only.as_uri())
    assert not looks_rendered(browser)
    hidden = tmp_path / "hidden.html"  # everything there, nothing shown
    hidden.write_text(html.replace("</style>", "main{visibility:hidden}</style>", 1))
    browser.get(hidden.as_uri())
    assert not looks_rendered(browser)
