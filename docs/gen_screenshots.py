"""Regenerate the report screenshots in docs/images/ from a real run:  python docs/gen_screenshots.py

Runs a small selection of built-in claims (a derivation, an erratum with its corrected claim, the Lipschitz
sandwich and the flow figures), writes the HTML report, opens it in headless Chromium and saves

* ``docs/images/report-top.png`` — the top of the page: header, contents, errata;
* ``docs/images/report-claim.png`` — one claim, with its statement, evidence, figure and false variants.

Needs the ``[browser]`` extra and Debian's ``chromium`` and ``chromium-driver``.  ``--out DIR`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kexue_verify import RunConfig, run
from kexue_verify.reports.browser import chromium, screenshot_element
from kexue_verify.reports.writers import write_html
from kexue_verify.threads import single_threaded

IMAGES = Path(__file__).parent / "images"
#: What the screenshots show: a derivation, an erratum and its corrected claim, the sandwich, the flow figures.
SELECTION = ("stirling.formula", "stirling.gaussian-moments", "stirling.gaussian-moments-as-printed",
             "lipschitz.declared-bound[sn-mlp]", "flows.layer-inverse[affine-coupling-exp]")
#: The claim the second screenshot shows.
CLAIM = "lipschitz-declared-bound-sn-mlp"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNG files (default: docs/images)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with single_threaded():
        outcome = run(SELECTION, config=RunConfig(seed=0, in_process=True))
    if outcome.exit_code != 0:
        print(f"the selection did not come out as expected: {outcome.report['summary']}", file=sys.stderr)
        return 1
    page = args.out / "report-sample.html"
    write_html(outcome.report, page)
    try:
        with chromium(width=1100, height=1000) as driver:
            screenshot_element(driver, page, ":viewport", args.out / "report-top.png")
            screenshot_element(driver, page, f"#{CLAIM}", args.out / "report-claim.png")
    finally:
        page.unlink()
    print(f"wrote {args.out / 'report-top.png'} and {args.out / 'report-claim.png'} "
          f"(report {outcome.report['report_id']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
