"""Whether the relation a case states fits the applicant's resident ID number.

GB 11643: the 17th character of an 18-character resident ID is odd for a man and even for a
woman. A father (父亲) with a woman's number, or a mother (母亲) with a man's, is most often a
slip of the form (the wrong parent chosen, or the spouse's number typed in the applicant's
place). It is not refused: the caseworker is told, and looks at the papers.
"""

from __future__ import annotations

MALE, FEMALE = "male", "female"
# The sex each relation implies; the others (parent, guardian, other) imply none.
IMPLIED = {"father": MALE, "mother": FEMALE}


def sex_of(id_number: str | None) -> str | None:
    """The sex an 18-character resident ID number records, or None for anything else."""
    if not id_number or len(id_number) != 18 or not id_number[16].isdigit():
        return None
    return MALE if int(id_number[16]) % 2 else FEMALE


def contradicts(relation: str | None, id_number: str | None) -> bool:
    """True when the relation names a parent of one sex and the number records the other."""
    implied = IMPLIED.get(relation or "")
    recorded = sex_of(id_number)
    return implied is not None and recorded is not None and implied != recorded
