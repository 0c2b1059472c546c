"""Product barcodes (UPC-A, UPC-E, EAN-8, EAN-13, GTIN-14) as one form: the GTIN-14.

A scan, a hardware scanner's keystrokes and a catalog file each give a code in
its own length; written as 14 digits (zeros in front) they compare equal.
Check digits are verified by python-stdnum. An 8-digit code may be an EAN-8 or
a UPC-E (a UPC-A with its zeros suppressed), and nothing in it says which:
`gtin_candidates` gives both readings that are valid.
"""

from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumInvalid

GTIN_LENGTHS = (8, 12, 13, 14)


class BarcodeInvalid(ValueError):
    """Not a UPC/EAN/GTIN, or its check digit is wrong."""


def gtin14(code: str) -> str:
    """The GTIN-14 of a UPC-A, EAN-8, EAN-13 or GTIN-14 code (an 8-digit code read as EAN-8,
    else as UPC-E). Spaces and dashes are ignored; raises BarcodeInvalid."""
    candidates = gtin_candidates(code)
    if not candidates:
        raise BarcodeInvalid(
            f"{code.strip()[:40]!r} is not a UPC or EAN barcode (8, 12, 13 or 14 digits "
            "with a correct check digit)."
        )
    return candidates[0]


def gtin_candidates(code: str) -> list[str]:
    """Every valid GTIN-14 reading of `code`: none, one, or for 8 digits EAN-8 and UPC-E."""
    digits = ean.compact(code or "")
    if not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        return []
    readings = [digits]
    if len(digits) == 8:
        expanded = upc_e_to_upc_a(digits)
        if expanded:
            readings.append(expanded)
    return [reading.zfill(14) for reading in readings if _valid(reading)]


def upc_e_to_upc_a(code: str) -> str | None:
    """The 12-digit UPC-A a UPC-E (number system 0 or 1, six digits, check digit) stands for.

    The zero-suppression rules of the GS1 General Specifications, 5.2.2.4.2: the last of
    the six digits says where the zeros were taken out.
    """
    if len(code) != 8 or not code.isdigit() or code[0] not in "01":
        return None
    system, body, check = code[0], code[1:7], code[7]
    last = body[5]
    if last in "012":
        middle = f"{body[0:2]}{last}0000{body[2:5]}"
    elif last == "3":
        middle = f"{body[0:3]}00000{body[3:5]}"
    elif last == "4":
        middle = f"{body[0:4]}00000{body[4]}"
    else:
        middle = f"{body[0:5]}0000{last}"
    return f"{system}{middle}{check}"


def _valid(digits: str) -> bool:
    try:
        ean.validate(digits)
    except StdnumInvalid:
        return False
    return True
