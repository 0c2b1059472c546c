"""The repeat claimant, and identities that share contact details (as Appriss links them).

Both look at the other submitted claims with the same normalised email or the same phone,
chain-wide, fetched in one query through the indexes claim_email_key (or claim_email_ci)
and claim_phone. A claim whose customer's data was purged never matches, nor is matched;
a claim without email and phone gives no identity signal (a shipping address alone is too
weak: a household, an office, a parcel locker).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower

from kiosk.models import Claim, RiskSignal
from kiosk.models.claim import EmailKey
from kiosk.risk.findings import Finding

# The most claims one signal links to (the newest); its detail says how many more.
MATCHED_CLAIMS_MAX = 50
IDENTIFIERS = ("email", "phone", "address")


@dataclass(frozen=True)
class Contact:
    """Another submitted claim's identifiers, normalised as this claim's are."""

    pk: int
    store_id: int
    submitted_at: datetime.datetime
    email: str
    phone: str
    address: str


def email_key(email: str) -> str:
    """Lower-cased and trimmed; without the "+tag" of its mailbox name when
    RISK_EMAIL_IGNORE_PLUS_TAG is on. The same as kiosk.models.claim.EmailKey in SQL."""
    key = email.strip().lower()
    if settings.RISK_EMAIL_IGNORE_PLUS_TAG and "+" in key and "@" in key:
        key = key[: key.index("+")] + key[key.index("@") :]
    return key


def address_key(*, address1: str, address2: str, zip_code: str, country: str) -> str:
    """The street lines, ZIP or postal code and country, ignoring case and spaces
    ("12 Main St, Apt 4" is "12 main st,apt4"); empty without a first street line."""
    if not address1.strip():
        return ""
    return "|".join(
        "".join(part.split()).casefold() for part in (address1, address2, zip_code, country)
    )


def claim_address_key(claim: Claim) -> str:
    return address_key(
        address1=claim.ship_address1,
        address2=claim.ship_address2,
        zip_code=claim.ship_zip,
        country=claim.ship_country,
    )


def matchable_claims(claim: Claim):
    """Other submitted claims whose customer's data is still there: what a signal can match."""
    return (
        Claim.objects.filter(submitted_at__isnull=False, personal_data_purged_at__isnull=True)
        .exclude(pk=claim.pk)
        .order_by("-submitted_at", "-pk")
    )


def claims_same_contact(claim: Claim) -> list[Contact]:
    """Other submitted claims, chain-wide and of any time, with this claim's normalised email
    or phone, newest first (one query)."""
    email = email_key(claim.customer_email)
    phone = claim.customer_phone.strip()
    if claim.personal_data_purged_at is not None or not (email or phone):
        return []
    # The expression must be the index's own for the database to use it.
    key = (
        EmailKey("customer_email")
        if settings.RISK_EMAIL_IGNORE_PLUS_TAG
        else Lower("customer_email")
    )
    same = Q()
    if email:
        same |= Q(email_key=email)
    if phone:
        same |= Q(customer_phone=phone)
    rows = (
        matchable_claims(claim)
        .alias(email_key=key)
        .filter(same)
        .values_list(
            "pk",
            "store_id",
            "submitted_at",
            "customer_email",
            "customer_phone",
            "ship_address1",
            "ship_address2",
            "ship_zip",
            "ship_country",
        )
    )
    return [
        Contact(
            pk=pk,
            store_id=store_id,
            submitted_at=submitted_at,
            email=email_key(other_email),
            phone=other_phone.strip(),
            address=address_key(address1=a1, address2=a2, zip_code=zip_code, country=country),
        )
        for pk, store_id, submitted_at, other_email, other_phone, a1, a2, zip_code, country in rows
    ]


def identity_findings(claim: Claim) -> list[Finding]:
    others = claims_same_contact(claim)
    return repeat_claimant(claim, others=others) + shared_identity(claim, others=others)


def repeat_claimant(claim: Claim, *, others: list[Contact] | None = None) -> list[Finding]:
    """Other claims with the same email or phone submitted in each of RISK_REPEAT_WINDOWS
    (days back from this claim's submission, both ends included), in this store and across
    the chain; a signal from RISK_REPEAT_MIN_CLAIMS of them in the longest window.

    Only earlier claims count: a customer's first claim is not a repeat, and stays so when
    they come back (the later claim carries the signal, and links to the earlier ones).

    detail: {"windows": [{"days": 30, "store": 1, "chain": 2}, …], "by": ["email", "phone"],
    "more": claims in the longest window beyond the MATCHED_CLAIMS_MAX linked}.
    """
    if others is None:
        others = claims_same_contact(claim)
    windows = sorted(set(settings.RISK_REPEAT_WINDOWS))
    if not others or not windows:
        return []
    submitted = claim.submitted_at
    start = {days: submitted - datetime.timedelta(days=days) for days in windows}
    earlier = [o for o in others if start[windows[-1]] <= o.submitted_at <= submitted]
    if not earlier or len(earlier) < settings.RISK_REPEAT_MIN_CLAIMS:
        return []
    email, phone = email_key(claim.customer_email), claim.customer_phone.strip()
    by = [
        name
        for name, mine in (("email", email), ("phone", phone))
        if mine and any(getattr(o, name) == mine for o in earlier)
    ]
    detail = {
        "windows": [
            {
                "days": days,
                "store": sum(
                    1
                    for o in earlier
                    if o.submitted_at >= start[days] and o.store_id == claim.store_id
                ),
                "chain": sum(1 for o in earlier if o.submitted_at >= start[days]),
            }
            for days in windows
        ],
        "by": by,
        "more": max(0, len(earlier) - MATCHED_CLAIMS_MAX),
    }
    matched = tuple(o.pk for o in earlier[:MATCHED_CLAIMS_MAX])
    # Only earlier claims count: assessed again, none of them would count this one.
    return [Finding(RiskSignal.Code.REPEAT_CLAIMANT, detail, matched, reciprocal=False)]


def shared_identity(claim: Claim, *, others: list[Contact] | None = None) -> list[Finding]:
    """Claims of another identity that share two of email, phone and shipping address
    (normalised): one person under two emails, say. Another identity: the third identifier
    is known on both claims and differs (a blank one neither shares nor differs). Any time,
    chain-wide, earlier or later (the match goes both ways).

    detail: {"shared": ["phone", "address"], "differ": ["email"], "more": n}: which
    identifiers were shared, and which differed, over the claims matched.
    """
    if others is None:
        others = claims_same_contact(claim)
    mine = {
        "email": email_key(claim.customer_email),
        "phone": claim.customer_phone.strip(),
        "address": claim_address_key(claim),
    }
    shared: set[str] = set()
    differ: set[str] = set()
    matched = []
    for other in others:
        theirs = {"email": other.email, "phone": other.phone, "address": other.address}
        same = {k for k in IDENTIFIERS if mine[k] and mine[k] == theirs[k]}
        different = {k for k in IDENTIFIERS if mine[k] and theirs[k] and mine[k] != theirs[k]}
        if len(same) >= 2 and different:
            matched.append(other.pk)
            shared |= same
            differ |= different
    if not matched:
        return []
    detail = {
        "shared": [k for k in IDENTIFIERS if k in shared],
        "differ": [k for k in IDENTIFIERS if k in differ],
        "more": max(0, len(matched) - MATCHED_CLAIMS_MAX),
    }
    return [Finding(RiskSignal.Code.SHARED_IDENTITY, detail, tuple(matched[:MATCHED_CLAIMS_MAX]))]
