"""Velocity: an associate's and a store's claims against the store's normal rate."""

from kiosk.models import Claim
from kiosk.risk.findings import Finding


def velocity_findings(claim: Claim) -> list[Finding]:
    return []
