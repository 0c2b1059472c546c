"""The repeat claimant, and identities that share contact details."""

from kiosk.models import Claim
from kiosk.risk.findings import Finding


def identity_findings(claim: Claim) -> list[Finding]:
    return []
