"""Finding a customer's earlier claims at the associate's stores, by a full match only."""

from django.db.models import QuerySet

from kiosk.models import Claim, Store

CUSTOMER_CLAIMS_SHOWN = 50


def customer_claims(
    *, stores: QuerySet[Store], email: str = "", phone: str = ""
) -> QuerySet[Claim]:
    """Submitted claims of these stores whose email or E.164 phone is exactly this.

    Never a partial match: an associate cannot browse other customers' claims.
    """
    if not (email or phone):
        return Claim.objects.none()
    matching = (
        Claim.objects.filter(customer_email__iexact=email)
        if email
        else Claim.objects.filter(customer_phone=phone)
    )
    return (
        matching.submitted()
        .filter(store__in=stores)
        .select_related("store")
        .order_by("-submitted_at")[:CUSTOMER_CLAIMS_SHOWN]
    )
