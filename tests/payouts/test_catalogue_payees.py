"""The catalogue's payees: a program names an account of ``payees:`` of the right kind, or the
catalogue does not load (an unknown key would send the premium nowhere)."""

from __future__ import annotations

import pytest
import yaml

from service.programs.service import CATALOGUE, CatalogueError, payee_account

PAYEES = {"county_pension_fund": "pension_fund", "insurer": "insurer"}


def test_the_shipped_catalogue_names_the_pension_fund_of_its_payees() -> None:
    catalogue = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    (special,) = [p for p in catalogue["programs"] if p["code"] == "special_assistance"]
    key = special["yearly"]["pension_fund"]
    assert catalogue["payees"][key]["kind"] == "pension_fund"
    kinds = {k: v["kind"] for k, v in catalogue["payees"].items()}
    assert payee_account(kinds, key, kind="pension_fund", where="x") == key


@pytest.mark.parametrize(
    "key", ["county_pension_fund_typo", "insurer", None, ""], ids=["unknown", "kind", "none", ""]
)
def test_an_unknown_or_wrong_kind_of_account_is_a_catalogue_error(key: str | None) -> None:
    with pytest.raises(CatalogueError, match=r"special_assistance\.yearly\.pension_fund"):
        payee_account(
            PAYEES, key, kind="pension_fund", where="special_assistance.yearly.pension_fund"
        )
