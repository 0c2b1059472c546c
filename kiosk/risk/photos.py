"""Photo reuse: the same receipt or item photo on another claim, copied or alike."""

from kiosk.models import Claim
from kiosk.risk.findings import Finding


def photo_findings(claim: Claim) -> list[Finding]:
    return []
