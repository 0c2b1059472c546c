"""UPC-A and EAN-13 barcodes drawn from their digits: the bars as modules, and as SVG.

The encoding tables of ISO/IEC 15420 (GS1 General Specifications 5.2.1): a UPC-A is an
EAN-13 whose first digit is 0, with the same bars. A GTIN-14 prints as one of them when
its first digit (the packaging indicator) is 0; one with another indicator needs an
ITF-14, which the tablet's camera does not read.
"""

from html import escape

from kiosk.barcodes import gtin_candidates

# Left half, odd parity ("L"), per digit; "G" is R reversed, and R is L inverted.
_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
      "0110111", "0001011"]  # fmt: skip
_R = ["".join("1" if bit == "0" else "0" for bit in code) for code in _L]
_G = [code[::-1] for code in _R]
# The first digit is not drawn: it chooses L or G for each of the six left digits.
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "GLLGLG",
           "GLGLLG", "GGLLLG"]  # fmt: skip
QUIET_MODULES = 11  # white space each side that a reader needs (EAN-13's left margin)


def printable_code(gtin: str) -> str | None:
    """What a GTIN-14 prints as: its UPC-A (12 digits) when it has one, else its EAN-13
    (13 digits); None when it is not a valid code or needs an ITF-14."""
    candidates = gtin_candidates(gtin)
    if not candidates or candidates[0][0] != "0":
        return None
    ean13 = candidates[0][1:]
    return ean13[1:] if ean13[0] == "0" else ean13


def ean13_modules(code: str) -> str:
    """The 95 modules ("1" a bar, "0" a space) of a 12-digit UPC-A or 13-digit EAN-13 with
    a valid check digit; raises ValueError otherwise."""
    if len(code) not in (12, 13) or not gtin_candidates(code):
        raise ValueError(f"{code!r} is not a valid UPC-A or EAN-13.")
    digits = [int(d) for d in code.zfill(13)]
    left = "".join(
        (_L if parity == "L" else _G)[digit]
        for parity, digit in zip(_PARITY[digits[0]], digits[1:7], strict=True)
    )
    right = "".join(_R[digit] for digit in digits[7:])
    return f"101{left}01010{right}101"


def barcode_svg(code: str, *, module: float = 2.0, height: float = 60.0) -> str:
    """An SVG of the code's bars with its digits under them (`module`: one module's width,
    in the SVG's units, which are CSS pixels unless the page scales it)."""
    modules = ean13_modules(code)
    text_size = module * 9
    width = (len(modules) + 2 * QUIET_MODULES) * module
    total_height = height + text_size * 1.3
    rects = []
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            x = (QUIET_MODULES + start) * module
            rects.append(
                f'<rect x="{x:g}" y="0" width="{(index - start) * module:g}" height="{height:g}"/>'
            )
            start = None
    digits = escape(code)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {total_height:g}" '
        f'width="{width:g}" height="{total_height:g}" role="img" aria-label="Barcode {digits}">'
        f'<rect width="100%" height="100%" fill="#fff"/><g fill="#000">{"".join(rects)}</g>'
        f'<text x="{width / 2:g}" y="{total_height - text_size * 0.2:g}" text-anchor="middle" '
        f'font-family="monospace" font-size="{text_size:g}" letter-spacing="{module:g}">'
        f"{digits}</text></svg>"
    )
