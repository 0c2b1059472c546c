"""The claims generator the desk's benchmark uses, on whichever database the suite runs."""

from io import StringIO

from django.core.management import call_command

from kiosk.models import Claim, DeliveryAttempt, Store


def test_generate_claims_adds_claims_attempts_and_stores(db):
    out = StringIO()

    call_command("generate_claims", "--count", "500", "--stores", "4", stdout=out)

    assert Claim.objects.count() == 500
    assert Store.objects.count() == 4
    filed = Claim.objects.filter(status=Claim.Status.FILED)
    assert DeliveryAttempt.objects.count() == filed.count() > 300
    assert set(Claim.objects.values_list("store__source_store_id", flat=True)) == {
        "store_001",
        "store_002",
        "store_003",
        "store_004",
    }
    claim = filed.first()
    assert claim.attempts.get().decision == f"filed as {claim.claim_number}"
    assert "500 claims" in out.getvalue()
