"""The HTML report in a real browser (headless Chromium): formulas laid out, no raw TeX, figures visible.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``; ``.ci/run`` installs them)
and selenium (the ``test`` extra).  Without them the test is skipped on a developer's machine and fails in CI
(``CI`` set), so a missing browser never passes silently there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_report_html import rich_report

from kexue_verify import UsageError
from kexue_verify.reports.writers import write_html

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def driver():
    from kexue_verify.reports.browser import chromium, find_chromium

    try:
        find_chromium()
    except UsageError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {exc}")
        pytest.skip(str(exc))
    with chromium() as browser:
        yield browser


def check_page(driver, html: Path, shot: Path):
    from kexue_verify.reports.browser import inspect_page

    page = inspect_page(html, shot, driver=driver)
    assert page.console_errors == []
    assert page.math_sizes, "no <math> element on the page"
    assert page.empty_math == 0, f"{page.empty_math} of {len(page.math_sizes)} <math> elements have no size"
    assert page.raw_tex == []
    assert page.failed_formulas == 0
    assert page.figures, "no figure on the page"
    assert page.hidden_figures == 0
    assert shot.stat().st_size > 10_000  # a real picture, kept under the test's tmp dir
    return page


def test_the_sample_report_renders_in_chromium(driver, tmp_path: Path) -> None:
    write_html(rich_report(), tmp_path / "sample.html")
    page = check_page(driver, tmp_path / "sample.html", tmp_path / "sample.png")
    assert page.title.startswith("kexue-verify report kv-")
    assert len(page.figures) == 2


def test_a_real_report_renders_in_chromium(driver, tmp_path: Path, one_thread) -> None:
    """Built-in claims with derivations, an erratum and the Lipschitz sandwich and flow figures."""
    from kexue_verify import RunConfig, run

    patterns = ["stirling.formula", "stirling.gaussian-moments", "stirling.gaussian-moments-as-printed",
                "lipschitz.declared-bound[sn-mlp]", "flows.layer-logdet[affine-coupling-exp]",
                "flows.layer-inverse[affine-coupling-exp]"]
    outcome = run(patterns, config=RunConfig(seed=0, in_process=True))
    assert outcome.exit_code == 0, outcome.report["summary"]
    write_html(outcome.report, tmp_path / "real.html")
    page = check_page(driver, tmp_path / "real.html", tmp_path / "real.png")
    assert len(page.math_sizes) > 20
