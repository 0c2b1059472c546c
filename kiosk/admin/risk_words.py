"""Each risk signal as a sentence in the manager's language, with links to the claims it
matched that the manager may open, and the others only counted.

The finders write each signal's `detail` (kiosk.risk); the words read it tolerantly: a key
that is missing or of another shape never breaks the claim's page, the signal is then
named by its label alone.
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kiosk.display import local_date, money
from kiosk.models import RiskSignal

logger = logging.getLogger(__name__)

# What a detail may lack or hold in another shape; anything else is a bug to see.
UNREADABLE = (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError)


class MatchedClaims:
    """The claims a claim's signals matched: those the manager may open, by pk, with their
    number (claim number once filed, else reference); the rest are only counted."""

    def __init__(self, visible: dict[int, str], more=0):
        self.visible = visible
        # The claims a signal found beyond those it lists (its detail's "more"), counted only.
        self.more = more if isinstance(more, int) and more > 0 else 0

    def of_signal(self, detail: dict) -> "MatchedClaims":
        """These claims, with the count of those the signal's `detail` found beyond them."""
        return MatchedClaims(self.visible, detail.get("more"))

    def named(self, pks: Iterable) -> SafeString:
        """ "OP-1, OP-2, 2 claims at stores you do not manage and 180 more claims" (links to
        the first)."""
        pks = list(dict.fromkeys(pks))
        shown = [pk for pk in pks if pk in self.visible]
        hidden = len(pks) - len(shown)
        parts = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:kiosk_claim_change", args=[pk]),
                self.visible[pk],
            )
            for pk in shown
        ]
        if hidden:
            parts.append(
                ngettext(
                    "%(count)d claim at a store you do not manage",
                    "%(count)d claims at stores you do not manage",
                    hidden,
                )
                % {"count": hidden}
            )
        if self.more:
            parts.append(
                ngettext("%(count)d more claim", "%(count)d more claims", self.more)
                % {"count": self.more}
            )
        return words_list(parts)


def words_list(parts: list) -> SafeString:
    """ "a", "a and b", "a, b and c" (each part already escaped or safe)."""
    parts = [format_html("{}", part) for part in parts]
    if not parts:
        return format_html("{}", "")
    if len(parts) == 1:
        return parts[0]
    head = format_html_join(", ", "{}", ((part,) for part in parts[:-1]))
    return format_html(_("{first} and {last}"), first=head, last=parts[-1])


def signal_label(code: str) -> str:
    """The code's label ("Same receipt as another claim"); an unknown code as it is."""
    try:
        return str(RiskSignal.Code(code).label)
    except ValueError:
        return code


def signal_sentence(signal: RiskSignal, claims: MatchedClaims) -> SafeString:
    """The signal in words; its label when its detail cannot be read."""
    words = SENTENCES.get(signal.code)
    detail = signal.detail if isinstance(signal.detail, dict) else {}
    matched = signal.matched_claim_ids if isinstance(signal.matched_claim_ids, list) else []
    claims = claims.of_signal(detail)
    if words is not None:
        try:
            return words(detail, matched, claims)
        except UNREADABLE:
            logger.warning("Risk signal %s: its detail %r has no words", signal.code, detail)
    label = format_html("{}", signal_label(signal.code))
    if matched:
        return format_html(_("{label}: {claims}."), label=label, claims=claims.named(matched))
    return format_html(_("{label}."), label=label)


def _photo_matched(detail: dict, matched: list) -> list:
    """The claims a photo signal names: its matches' claims, else the matched ids."""
    matches = detail.get("matches")
    if not isinstance(matches, list):
        return matched
    pks = [match["claim"] for match in matches if isinstance(match, dict) and "claim" in match]
    return pks or matched


def _photo_copy(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    named = claims.named(_photo_matched(detail, matched))
    if detail["kind"] == "receipt":
        return format_html(
            _("The receipt photo is an exact copy of the one on {claims}."), claims=named
        )
    if detail["kind"] == "item":
        return format_html(_("An item photo is an exact copy of one on {claims}."), claims=named)
    raise ValueError(detail["kind"])


def _closeness(detail: dict) -> str:
    distance = int(detail["nearest"])
    # Translators: how far apart two photos' fingerprints are; 0 of 64 is the same photo.
    return ngettext(
        "%(distance)d of 64 points differs; 0 would be the same photo",
        "%(distance)d of 64 points differ; 0 would be the same photo",
        distance,
    ) % {"distance": distance}


def _photo_lookalike(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    named = claims.named(_photo_matched(detail, matched))
    if detail["kind"] == "receipt":
        sentence = _("The receipt photo looks like the one on {claims} ({closeness}).")
    elif detail["kind"] == "item":
        sentence = _("An item photo looks like one on {claims} ({closeness}).")
    else:
        raise ValueError(detail["kind"])
    return format_html(sentence, claims=named, closeness=_closeness(detail))


def _receipt_reuse(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    pks = _photo_matched(detail, matched)
    if not pks:
        raise ValueError("no claim")
    matches = detail.get("matches")
    exact = isinstance(matches, list) and any(
        isinstance(match, dict) and match.get("exact") for match in matches
    )
    sentence = (
        _("The same receipt was already used on {claims}: an exact copy of its photo.")
        if exact
        else _(
            "The same receipt was already used on {claims}: its photo looks alike, "
            "and the store and date of purchase are the same."
        )
    )
    return format_html(sentence, claims=claims.named(pks))


def _by_words(by: list) -> str:
    by = set(by or [])
    if by == {"email"}:
        return _("this email")
    if by == {"phone"}:
        return _("this phone number")
    return _("this email or phone")


def _repeat_claimant(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    windows = sorted(
        (
            (int(window["days"]), int(window.get("chain", 0)), window.get("store"))
            for window in detail["windows"]
        ),
        key=lambda window: window[0],
    )
    parts, previous = [], None
    for days, chain, store in windows:
        if chain == previous or chain == 0:
            continue
        if previous is None:
            part = ngettext(
                "%(count)d other claim with %(by)s in the last %(days)d days",
                "%(count)d other claims with %(by)s in the last %(days)d days",
                chain,
            ) % {"count": chain, "by": _by_words(detail.get("by")), "days": days}
        else:
            part = _("%(count)d in %(days)d days") % {"count": chain, "days": days}
        if store is not None and previous is None:
            part += " " + _("(%(count)d at this store)") % {"count": int(store)}
        parts.append(part)
        previous = chain
    if not parts:
        raise ValueError("no window with claims")
    sentence = format_html("{}.", format_html_join(", ", "{}", ((part,) for part in parts)))
    if matched:
        sentence = format_html(
            "{} {}",
            sentence,
            format_html(_("Claims: {claims}."), claims=claims.named(matched)),
        )
    return sentence


IDENTIFIERS: dict[str, Callable[[], str]] = {
    "email": lambda: _("email"),
    "phone": lambda: _("phone number"),
    "address": lambda: _("shipping address"),
}


def _shared_identity(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    shared = [IDENTIFIERS[name]() for name in detail["shared"]]
    if not shared or not matched:
        raise ValueError("nothing shared")
    return format_html(
        _("A different customer has the same {shared} on {claims}."),
        shared=words_list(shared),
        claims=claims.named(matched),
    )


def _day(value) -> str:
    return local_date(datetime.date.fromisoformat(str(value)[:10]))


def _purchase_in_future(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    return format_html(
        _(
            "The date of purchase, {bought}, is after the day the claim was submitted "
            "({submitted})."
        ),
        bought=_day(detail["date_of_purchase"]),
        submitted=_day(detail["submitted_on"]),
    )


def _purchase_before_catalog(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    return format_html(
        _("The date of purchase, {bought}, is before the product was in the catalog ({since})."),
        bought=_day(detail["date_of_purchase"]),
        since=_day(detail["in_catalog_since"]),
    )


def _outside_warranty(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    reason = detail.get("reason") or ""
    if detail.get("warranty_end"):
        sentence = format_html(
            _("The warranty ended on {end}, before the claim was filed."),
            end=_day(detail["warranty_end"]),
        )
    elif reason:
        sentence = format_html("{}", _("Filed outside the warranty."))
    else:
        raise ValueError("no detail")
    if reason:
        sentence = format_html(
            "{} {}", sentence, format_html(_("Reason given: {reason}"), reason=reason)
        )
    return sentence


def _price_mismatch(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    price, catalog = Decimal(str(detail["item_price"])), Decimal(str(detail["catalog_price"]))
    if catalog <= 0:
        raise ValueError(catalog)
    deviation = detail.get("deviation")
    deviation = abs(float(deviation)) if deviation is not None else float(abs(price / catalog - 1))
    values = {"price": money(price), "catalog": money(catalog), "percent": round(deviation * 100)}
    if price < catalog:
        sentence = _("Price paid %(price)s is %(percent)d %% below the catalog's %(catalog)s.")
    else:
        sentence = _("Price paid %(price)s is %(percent)d %% above the catalog's %(catalog)s.")
    return format_html("{}", sentence % values)


def _item_other_customer(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
    if not matched:
        raise ValueError("no claim")
    item = detail.get("source_item_id")
    if item:
        return format_html(
            _("The same item ({item}) was claimed by a different customer on {claims}."),
            item=item,
            claims=claims.named(matched),
        )
    return format_html(
        _("The same item was claimed by a different customer on {claims}."),
        claims=claims.named(matched),
    )


def _velocity(sentence: Callable[[int], str]) -> Callable:
    def words(detail: dict, matched: list, claims: MatchedClaims) -> SafeString:
        count, days = int(detail["claims"]), int(detail["days"])
        expected = number_format(round(float(detail["expected"]), 1), decimal_pos=1)
        text = sentence(count) % {"count": count, "days": days, "expected": expected}
        return format_html("{}", text)

    return words


SENTENCES: dict[str, Callable[[dict, list, MatchedClaims], SafeString]] = {
    RiskSignal.Code.PHOTO_COPY: _photo_copy,
    RiskSignal.Code.PHOTO_LOOKALIKE: _photo_lookalike,
    RiskSignal.Code.RECEIPT_REUSE: _receipt_reuse,
    RiskSignal.Code.REPEAT_CLAIMANT: _repeat_claimant,
    RiskSignal.Code.SHARED_IDENTITY: _shared_identity,
    RiskSignal.Code.PURCHASE_IN_FUTURE: _purchase_in_future,
    RiskSignal.Code.PURCHASE_BEFORE_CATALOG: _purchase_before_catalog,
    RiskSignal.Code.OUTSIDE_WARRANTY: _outside_warranty,
    RiskSignal.Code.PRICE_MISMATCH: _price_mismatch,
    RiskSignal.Code.ITEM_OTHER_CUSTOMER: _item_other_customer,
    RiskSignal.Code.ASSOCIATE_VELOCITY: _velocity(
        lambda count: ngettext(
            "The associate filed %(count)d claim in the last %(days)d days; "
            "about %(expected)s would be usual at this store.",
            "The associate filed %(count)d claims in the last %(days)d days; "
            "about %(expected)s would be usual at this store.",
            count,
        )
    ),
    RiskSignal.Code.STORE_VELOCITY: _velocity(
        lambda count: ngettext(
            "The store filed %(count)d claim in the last %(days)d days; "
            "about %(expected)s would be usual.",
            "The store filed %(count)d claims in the last %(days)d days; "
            "about %(expected)s would be usual.",
            count,
        )
    ),
}
