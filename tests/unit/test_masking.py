"""Personal numbers never leave in full: IDs, bank cards and phones show their last four."""

from __future__ import annotations

import pytest
from stdnum import luhn

from service.masking import (
    mask_card,
    mask_id_number,
    mask_name,
    mask_numbers_in,
    mask_phone,
    mask_text,
)

ID = "13012319750612300X"  # a resident ID of county 130123, check character X
CARD = "6222020200112345679"  # 19 digits, Luhn-valid
NOT_A_CARD = "6222020200112345678"  # the same with a wrong check digit
PHONE = "13812345678"


def test_a_masked_id_shows_only_the_region_and_the_last_four() -> None:
    masked = mask_id_number(ID)
    assert masked == "1301**********300X"
    assert len(masked) == len(ID)
    assert "19750612" not in masked  # the birth date is personal too


def test_a_masked_card_and_phone_show_only_their_prefix_and_last_four() -> None:
    assert mask_card(CARD) == "6222" + "*" * 11 + "5679"
    assert mask_phone(PHONE) == "138****5678"


@pytest.mark.parametrize("mask", [mask_id_number, mask_card, mask_phone])
def test_nothing_to_mask_stays_nothing(mask: object) -> None:
    assert mask(None) is None  # type: ignore[operator]
    assert mask("") == ""  # type: ignore[operator]


@pytest.mark.parametrize(
    ("name", "masked"), [("王秀英", "王*英"), ("王英", "王*"), ("欧阳小华", "欧**华"), ("王", "王")]
)
def test_names_on_a_notice_keep_the_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_numbers_typed_into_a_comment_are_masked() -> None:
    comment = f"申请人身份证{ID}，银行卡{CARD}，电话{PHONE}。"
    masked = mask_text(comment)
    for number in (ID, CARD, PHONE):
        assert number not in masked
    assert masked == (
        "申请人身份证1301**********300X，银行卡6222***********5679，电话138****5678。"
    )


def test_numbers_that_are_not_personal_are_left_alone() -> None:
    # A village code (12 digits), a 16-digit run that fails the card check, an amount, a
    # year, a date and a time.
    text = f"村 130123100201 单号 {NOT_A_CARD[:16]} 金额 500000 年 2026 于 2026-12-07 12:00"
    assert mask_text(text) == text


def test_a_longer_run_is_masked_when_a_card_hides_in_it() -> None:
    # 19 digits that fail the check, but 16 of which pass: in free text the doubt goes to the
    # person (a reference that must stay whole has a field of its own).
    hidden = NOT_A_CARD[1:17]
    assert luhn.is_valid(hidden)
    assert mask_text(f"单号{NOT_A_CARD}") == "单号62220********345678"


def test_every_string_inside_a_record_is_masked_except_digests() -> None:
    digest = "1" * 18  # a run of digits inside a hash looks like an ID, and is not one
    record = {
        "comment": f"卡号 {CARD}",
        "history": [{"note": f"身份证 {ID}"}, 3, None],
        "sha256": digest,
        "prev_hash": digest,
    }
    assert mask_numbers_in(record) == {
        "comment": "卡号 6222***********5679",
        "history": [{"note": "身份证 1301**********300X"}, 3, None],
        "sha256": digest,
        "prev_hash": digest,
    }
