"""Photos' perceptual hashes, computed in the background after a claim is submitted."""

from kiosk.models import Claim


def claim_photos_hash(*, claim: Claim) -> int:
    """Hash the claim's receipt and item photos that have no perceptual hash yet; returns
    how many were hashed."""
    return 0
