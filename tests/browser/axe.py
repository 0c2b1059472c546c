"""axe-core (from npm, see package.json) run on a Playwright page.

The portal's Content-Security-Policy allows no inline script, so axe is not added with a
<script> tag: its source is evaluated through the DevTools protocol (page.evaluate),
which the page's CSP does not govern.
"""

import functools
import os
from pathlib import Path

from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
# `make test` installs it with `npm ci`; AXE_CORE_JS points elsewhere if need be.
AXE_CORE_JS = Path(os.environ.get("AXE_CORE_JS", REPO_ROOT / "node_modules/axe-core/axe.min.js"))
AXE_VERSION = "4.14.1"  # package.json's pin: a newer axe may add rules

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices: issue 19's findings
# (page-has-heading-one, aria-allowed-role, label-title-only, empty-table-header) are
# best-practice rules, held at zero too. `target-size` (2.5.8, 24×24 CSS px) is tagged
# wcag22aa but off by default in axe: it is turned on.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
OPTIONS = {
    "runOnly": {"type": "tag", "values": TAGS},
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}

RUN_SCRIPT = """async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => ({
      target: node.target.map((part) => [].concat(part).join(" >>> ")).join(" "),
      html: node.html,
      summary: node.failureSummary,
    })),
  }));
}"""


@functools.cache
def axe_source() -> str:
    if not AXE_CORE_JS.is_file():
        raise FileNotFoundError(f"{AXE_CORE_JS} is missing: run `npm ci` (make test does).")
    return AXE_CORE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    """axe's violations on the page as it is now: [{rule, impact, help, nodes}]."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
        version = page.evaluate("axe.version")
        assert version == AXE_VERSION, f"axe-core {version} is installed, {AXE_VERSION} pinned"
    return page.evaluate(RUN_SCRIPT, OPTIONS)


def describe(screen: str, violations: list[dict]) -> list[str]:
    """One readable line per element: screen, rule, impact, selector, what is wrong, and
    the element's HTML (cut short)."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            snippet = " ".join(node["html"].split())[:160]
            lines.append(
                f"{screen}: {violation['rule']} ({violation['impact']}) at {node['target']}"
                f" — {summary} — {snippet}"
            )
    return lines
