"""Searching claims at the desk with what a manager types, each kind of term index-backed.

A term is read as what it can be: a claim number or reference (exact), an email
(exact, case-insensitive), a phone number in any common format (normalised to
E.164 with the stores' countries), a SKU, or a first or last name (exact,
case-insensitive). No search scans the table with LIKE '%…%'.
"""

import re

import phonenumbers
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

# A phone number typed at a desk: digits with spaces, dots, dashes, brackets, a leading +.
PHONE_LIKE = re.compile(r"\+?[\d\s().\-]{7,}")


def claim_search_filter(term: str, *, regions: list[str]) -> Q:
    """The filter a search term means; an empty Q() when the term is empty."""
    term = " ".join(term.split())
    if not term:
        return Q()
    folded = term.lower()
    matches = Q(reference=term.upper()) | Q(claim_number=term.upper())
    if "@" in term:
        return matches | _same_text("customer_email", folded)
    if PHONE_LIKE.fullmatch(term):
        phones = _phone_numbers(term, regions)
        if phones:
            matches |= Q(customer_phone__in=phones)
    matches |= _same_text("item_sku", folded)
    words = folded.split(" ")
    if len(words) == 2:
        matches |= _same_text("ship_first_name", words[0]) & _same_text("ship_last_name", words[1])
    return matches | _same_text("ship_last_name", folded) | _same_text("ship_first_name", folded)


def _same_text(field: str, folded: str) -> Q:
    """LOWER(field) = folded: what the Lower() indexes on those fields serve (iexact would not)."""
    return Q(Exact(Lower(field), folded))


def _phone_numbers(term: str, regions: list[str]) -> list[str]:
    """The E.164 numbers the term can be, read in each of the regions (or as international)."""
    numbers = set()
    for region in [*dict.fromkeys(regions), None]:
        try:
            number = phonenumbers.parse(term, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            numbers.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return sorted(numbers)
