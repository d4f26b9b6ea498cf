"""Personal numbers in every shape are masked before anything stores, shows or logs them.

Property tests over the masking functions (many examples, in this process), and the findings
of issue 18 as plain examples: a card written in groups (the form the card validator accepts),
a card sent as a JSON number, an ID followed by other characters, contacts of objectors.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.logging import mask_personal_numbers
from service.masking import DEEPER, mask_contact, mask_numbers_in, mask_text
from service.text import free_fields
from tests.personal_numbers import Number, in_text, numbers, shown_whole

ID = "13012319750612300X"
CARD = "6228482914177763174"  # 19 digits, Luhn-valid
PHONE = "13800001111"

MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_card_in_groups_is_masked() -> None:
    assert mask_text("卡号 6228 4829 1417 7763 174。") == "卡号 6228 **** **** ***3 174。"
    assert mask_text("卡号6228-4829-1417-7763-174") == "卡号6228-****-****-***3-174"


def test_an_id_followed_by_other_characters_is_masked() -> None:
    assert mask_text(f"身份证{ID}Xu Ming") == "身份证1301**********300XXu Ming"
    # A valid ID ending in a digit with a phone number glued on (the phone, glued to other
    # digits, cannot be told from them and stays; the ID can: its check character says so).
    glued = "130123198001011234"
    masked = mask_text(glued + PHONE)
    assert masked.startswith("1301**********")
    assert glued not in masked
    assert ID.lower() not in mask_text(f"5{ID.lower()}")


def test_phones_in_groups_and_after_the_country_code_are_masked() -> None:
    assert mask_text("电话 138 0000 1111") == "电话 138 **** 1111"
    assert mask_text("tel:+86-138-0000-1111") == "tel:+86-138-****-1111"
    assert mask_text("008613800001111") == "0086138****1111"


def test_a_card_sent_as_a_json_number_becomes_its_masked_text() -> None:
    masked = mask_numbers_in({"card": int(CARD), "count": 3, "ratio": 0.5, "ok": True})
    assert masked == {"card": "6228***********3174", "count": 3, "ratio": 0.5, "ok": True}


def test_keys_are_masked_and_digests_are_not() -> None:
    digest = "1" * 18
    masked = mask_numbers_in({ID: 1, "text_sha256": digest, "evidence_sha256": digest})
    assert masked == {"1301**********300X": 1, "text_sha256": digest, "evidence_sha256": digest}


def test_masking_a_value_nested_without_end_stops_at_a_depth() -> None:
    value: object = ID
    for _ in range(5000):
        value = {"a": value}
    masked = mask_numbers_in(value)
    assert json.dumps(masked).count("{") == 8
    assert DEEPER in json.dumps(masked, ensure_ascii=False)


def test_log_events_mask_numbers_and_nesting_never_fails() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    event = mask_personal_numbers(None, "info", {"card": int(CARD), "deep": deep, "n": 12})
    assert event["card"] == "6228***********3174"
    assert event["n"] == 12
    assert CARD not in json.dumps(event)


def test_an_objectors_contact_is_masked_for_auditors_whatever_it_is() -> None:
    assert mask_contact(PHONE) == "138****1111"
    assert mask_contact("+86 138-0000-1111") == "+86 138-****-1111"
    assert mask_contact("微信 wang_xiaoming") == "微" + "*" * 15
    assert mask_contact("wang@example.com") == "w" + "*" * 15
    assert mask_contact(None) is None


# --- properties ---------------------------------------------------------------------------


@MANY
@given(in_text())
def test_no_number_in_text_comes_back_whole(case: tuple[Number, str]) -> None:
    number, text = case
    assert shown_whole(number, text)  # the generator's own check
    masked = mask_text(text)
    assert not shown_whole(number, masked), (text, masked)
    assert len(masked) == len(text)  # digits become stars, nothing else moves


@MANY
@given(in_text())
def test_masking_is_idempotent(case: tuple[Number, str]) -> None:
    # Reads mask what is stored again: what was masked when stored must read the same, or
    # the trail's rows would not recompute their hashes from an export.
    masked = mask_text(case[1])
    assert mask_text(masked) == masked


@settings(max_examples=200, deadline=None)
@given(
    number=numbers(),
    text=in_text(),
    key=in_text(),
    as_integer=st.booleans(),
)
def test_free_fields_keep_no_number_whole(
    number: Number, text: tuple[Number, str], key: tuple[Number, str], as_integer: bool
) -> None:
    """Extra fields of a submission: numbers in strings, in keys, and sent as JSON numbers."""
    value: object = int(number.digits) if as_integer and number.digits.isdigit() else number.written
    fields = {"note": text[1], "household": {key[1][:100]: [value, {"again": text[1]}]}}
    stored = free_fields(fields)  # a personal number sent as an integer is masked, not refused
    written = json.dumps(stored, ensure_ascii=False)
    for shown in (number, text[0], key[0]):
        assert not shown_whole(shown, written), written
