"""The claim that does not add up: dates, prices and items against the catalog and others."""

from kiosk.models import Claim
from kiosk.risk.findings import Finding


def consistency_findings(claim: Claim) -> list[Finding]:
    return []
