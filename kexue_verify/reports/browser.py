"""Opening an HTML report in headless Chromium and measuring what a reader would see (selenium).

Used by the test suite (``tests/test_report_browser.py``) and by ``docs/gen_screenshots.py``.  It needs the
``[browser]`` extra (selenium) and a Chromium with its driver: on Debian, ``apt-get install chromium
chromium-driver``.  :func:`find_chromium` says what is missing and how to install it.

:func:`inspect_page` loads a page and returns a :class:`PageInspection`: every ``<math>`` element's laid-out
size, any raw TeX (``$``, ``\\frac``, other ``\\commands``) left in text outside ``<code>``/``<pre>``, every
figure's size and visibility, and the console errors.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kexue_verify.errors import UsageError

__all__ = ["PageInspection", "chromium", "find_chromium", "inspect_page", "screenshot_element"]

#: The tallest screenshot taken, in CSS pixels.
MAX_SHOT = 12000
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVERS = ("chromedriver",)

#: Runs in the page: sizes of math and figures, raw TeX outside code, and whether the figures are visible.
_MEASURE = r"""
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
const visible = e => { const s = getComputedStyle(e); const r = e.getBoundingClientRect();
  return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0; };
const raw = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const tex = /\$|\\[A-Za-z]+/;
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (n.parentElement.closest('code, pre, math, svg, style')) continue;
  if (tex.test(n.nodeValue)) raw.push(n.nodeValue.trim().slice(0, 120));
}
return {
  math: Array.from(document.querySelectorAll('math')).map(box),
  figures: Array.from(document.querySelectorAll('figure svg')).map(e => [...box(e), visible(e)]),
  failed: document.querySelectorAll('.tex-failed').length,
  raw: raw,
  title: document.title,
  height: document.documentElement.scrollHeight,
};
"""


@dataclass
class PageInspection:
    """What the browser laid out: sizes of ``<math>`` elements and figures, raw TeX text, console errors."""

    title: str
    math_sizes: list[tuple[float, float]]
    figures: list[tuple[float, float, bool]]
    raw_tex: list[str]
    failed_formulas: int
    console_errors: list[str] = field(default_factory=list)
    height: float = 0.0

    @property
    def empty_math(self) -> int:
        """``<math>`` elements with zero width or height (the browser could not lay them out)."""
        return sum(1 for w, h in self.math_sizes if w <= 0 or h <= 0)

    @property
    def hidden_figures(self) -> int:
        return sum(1 for w, h, shown in self.figures if not shown or w <= 0 or h <= 0)


def find_chromium() -> tuple[str, str]:
    """Paths of a Chromium browser and its driver, or a :class:`UsageError` saying how to install them."""
    browser = next((p for p in map(shutil.which, BROWSERS) if p), None)
    driver = next((p for p in map(shutil.which, DRIVERS) if p), None)
    if browser is None or driver is None:
        missing = " and ".join(n for n, p in (("a Chromium browser", browser), ("chromedriver", driver)) if not p)
        raise UsageError(f"{missing} not found on PATH; on Debian: apt-get install chromium chromium-driver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise UsageError("selenium is not installed; pip install 'kexue-verify[browser]'") from None
    return browser, driver


@contextmanager
def chromium(width: int = 1200, height: int = 900) -> Any:
    """A headless Chromium (selenium WebDriver) with its console log kept; closed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def inspect_page(path: str | Path, screenshot: str | Path | None = None, *, driver: Any = None) -> PageInspection:
    """Load ``path`` in headless Chromium, measure it, and save a full-page PNG to ``screenshot`` if given."""
    if driver is None:
        with chromium() as fresh:
            return inspect_page(path, screenshot, driver=fresh)
    driver.get(Path(path).resolve().as_uri())
    data = driver.execute_script(_MEASURE)
    inspection = PageInspection(
        title=data["title"], math_sizes=[tuple(m) for m in data["math"]],
        figures=[(f[0], f[1], bool(f[2])) for f in data["figures"]], raw_tex=list(data["raw"]),
        failed_formulas=int(data["failed"]), console_errors=_console_errors(driver), height=float(data["height"]))
    if screenshot is not None:  # Chromium refuses pictures past ~16k pixels: the top of a long page
        width = driver.execute_script("return document.documentElement.scrollWidth;")
        _capture(driver, screenshot, {"x": 0, "y": 0, "width": width, "height": min(inspection.height, MAX_SHOT)})
    return inspection


def _capture(driver: Any, out: str | Path, clip: dict[str, float] | None = None) -> None:
    import base64

    params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
    if clip is not None:
        params["clip"] = {**clip, "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", params)
    Path(out).write_bytes(base64.b64decode(shot["data"]))


def screenshot_element(driver: Any, path: str | Path, css: str, out: str | Path, max_height: int = 2400) -> None:
    """Load ``path`` and save a PNG of the first element matching the CSS selector ``css``, at most ``max_height``
    pixels of it; ``":viewport"`` saves what the window shows at the top of the page."""
    driver.get(Path(path).resolve().as_uri())
    if css == ":viewport":
        size = driver.execute_script("return {width: window.innerWidth, height: window.innerHeight};")
        _capture(driver, out, {"x": 0, "y": 0, **size})
        return
    rect = driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return null; const r = e.getBoundingClientRect();"
        "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};", css)
    if rect is None:
        raise UsageError(f"no element matches {css!r} in {path}")
    rect["height"] = min(rect["height"], max_height)
    _capture(driver, out, rect)
