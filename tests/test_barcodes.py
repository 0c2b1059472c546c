import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from kiosk.barcodes import BarcodeInvalid, gtin14, gtin_candidates, upc_e_to_upc_a


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("012345678905", "00012345678905"),  # UPC-A
        ("0 12345 67890 5", "00012345678905"),  # as printed under the bars
        ("4006381333931", "04006381333931"),  # EAN-13
        ("96385074", "00000096385074"),  # EAN-8
        ("10012345678902", "10012345678902"),  # GTIN-14 of a case
        ("04252614", "00042100005264"),  # UPC-E, not a valid EAN-8
    ],
)
def test_every_length_becomes_the_same_gtin14(code, expected):
    assert gtin14(code) == expected


@pytest.mark.parametrize("code", ["", "123", "4006381333932", "ABCDEFGHIJKLM", "0123456789012345"])
def test_a_code_that_is_no_barcode_is_refused_with_what_it_was(code):
    with pytest.raises(BarcodeInvalid, match="is not a UPC or EAN barcode"):
        gtin14(code)


@pytest.mark.parametrize(
    ("upc_e", "upc_a"),
    [
        ("04252614", "042100005264"),  # last digit 1: manufacturer's XX1 and 0000
        ("01234565", "012345000065"),  # 5..9: five digits, 0000, then the last
        ("01234531", "012300000451"),  # 3: three digits, 00000, two
        ("01234540", "012340000050"),  # 4: four digits, 00000, one
        ("11234520", "112200003450"),  # number system 1
    ],
)
def test_upc_e_expands_by_the_gs1_rules(upc_e, upc_a):
    assert upc_e_to_upc_a(upc_e) == upc_a


def test_an_8_digit_code_valid_both_ways_has_both_readings():
    both = next(
        f"0{body:06d}{check}"
        for body in range(100000, 999999)
        for check in "0123456789"
        if ean.is_valid(f"0{body:06d}{check}") and len(gtin_candidates(f"0{body:06d}{check}")) == 2
    )
    readings = gtin_candidates(both)
    assert readings[0] == both.zfill(14)
    assert readings[1] == upc_e_to_upc_a(both).zfill(14)


@given(st.from_regex(r"\A[0-9]{12}\Z"))
def test_any_valid_ean13_round_trips(first_twelve):
    code = first_twelve + ean.calc_check_digit(first_twelve)
    assert gtin14(code) == code.zfill(14)
    assert gtin_candidates(code) == [code.zfill(14)]
