"""The customer's copy of a claim: one email, sent in the background, and a printable receipt.

The copy is queued once, when the associate submits the claim (unless the API
rejected it for correction). The task reads the claim when it runs, so the
email carries the claim number if the claim is filed by then, and otherwise
the local reference with a line saying that the number follows. It is sent at
most once per claim: its status moves queued -> sending -> sent or failed by
compare-and-set. A failure is recorded on the claim for managers and never
touches the claim itself.
"""

import logging
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kiosk.models import Claim

logger = logging.getLogger(__name__)

# Characters of a sending error kept on the claim.
ERROR_MAX_CHARS = 2000
TEMPLATES = "kiosk/email/customer_copy"


@dataclass(frozen=True)
class CustomerCopy:
    """What the customer's copy says, by email and on paper."""

    claim: Claim
    claim_number: str  # empty until OrderProtection has filed the claim
    store_name: str
    submitted_at: timezone.datetime | None  # in the store's time zone
    sandbox: bool

    @property
    def filed(self) -> bool:
        return bool(self.claim_number)

    @property
    def next_steps(self) -> list[str]:
        if self.filed:
            first = [
                _("OrderProtection reviews your claim."),
                _("Quote the claim number %(number)s if you contact the store or OrderProtection.")
                % {"number": self.claim_number},
            ]
        else:
            first = [
                _(
                    "The store sends your claim to OrderProtection; nothing more is needed "
                    "from you now."
                ),
                _("Quote the reference %(reference)s if you contact the store.")
                % {"reference": self.claim.reference},
            ]
        return [*first, _("Keep the item and its receipt until the claim is settled.")]


def customer_copy_for(*, claim: Claim) -> CustomerCopy:
    """The content of the copy as the claim stands now."""
    submitted_at = None
    if claim.submitted_at:
        submitted_at = timezone.localtime(
            claim.submitted_at, zoneinfo.ZoneInfo(claim.store.time_zone)
        )
    return CustomerCopy(
        claim=claim,
        claim_number=claim.claim_number if claim.status == Claim.Status.FILED else "",
        store_name=claim.store.name,
        submitted_at=submitted_at,
        sandbox=settings.ORDERPROTECTION_SANDBOX,
    )


def customer_copy_message(*, copy: CustomerCopy) -> EmailMultiAlternatives:
    """The email, in plain text with an HTML alternative, in the customer's language."""
    context = {"copy": copy, "claim": copy.claim}
    with translation.override(copy.claim.customer_language):
        subject = render_to_string(f"{TEMPLATES}_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string(f"{TEMPLATES}.txt", context),
            to=[copy.claim.customer_email],
        )
        message.attach_alternative(render_to_string(f"{TEMPLATES}.html", context), "text/html")
        message.extra_headers["Content-Language"] = translation.get_language()
    return message


def customer_copy_send(*, claim_pk: int) -> str:
    """Send the queued copy of a claim, once; returns what happened, for the task's result.

    Raises nothing for a failure of the mail backend: it is recorded on the
    claim (customer_copy_error) for managers.
    """
    taken = Claim.objects.filter(
        pk=claim_pk, customer_copy_status=Claim.CustomerCopyStatus.QUEUED
    ).update(customer_copy_status=Claim.CustomerCopyStatus.SENDING)
    if not taken:
        return "not queued"
    claim = Claim.objects.select_related("store").get(pk=claim_pk)
    if not claim.customer_email:
        _record(claim_pk, Claim.CustomerCopyStatus.NO_EMAIL)
        return Claim.CustomerCopyStatus.NO_EMAIL
    try:
        customer_copy_message(copy=customer_copy_for(claim=claim)).send()
    except Exception as error:  # SMTP refusals, DNS, timeouts, a broken template: all recorded
        logger.warning("Claim %s: the customer's copy was not sent: %s", claim.reference, error)
        _record(claim_pk, Claim.CustomerCopyStatus.FAILED, error=_describe(error))
        return Claim.CustomerCopyStatus.FAILED
    _record(claim_pk, Claim.CustomerCopyStatus.SENT, sent_at=timezone.now())
    logger.info("Claim %s: the customer's copy was sent", claim.reference)
    return Claim.CustomerCopyStatus.SENT


def customer_copy_failed(*, claim_pk: int, error: Exception) -> None:
    """Record on the claim, for managers, that its copy could not be queued or sent."""
    _record(claim_pk, Claim.CustomerCopyStatus.FAILED, error=_describe(error))


def _record(claim_pk: int, status: str, *, error: str = "", sent_at=None) -> None:
    fields = {"customer_copy_status": status, "customer_copy_error": error}
    if sent_at is not None:
        fields["customer_copy_sent_at"] = sent_at
    Claim.objects.filter(pk=claim_pk).update(**fields)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
