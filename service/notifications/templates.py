"""The messages' Chinese text. Personal details appear only masked: 王*英, 1301**********9188.

A message is rendered when it is written (in the transaction of the state change), so it says
what was true at that moment even if it is delivered later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from service.auth.models import (
    CASEWORKER,
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    TOWNSHIP_REVIEWER,
    VILLAGE_HEAD,
)
from service.config import get_settings
from service.money import display_cny
from service.notifications.models import (
    APPROVED,
    ENDED,
    ENROLLED,
    PAID,
    RECEIVED,
    REJECTED,
    RETURNED,
    REVOKED,
)

SIGNATURE = "【计生关怀】"
ROLE_NAMES = {
    CASEWORKER: "村计生专干",
    VILLAGE_HEAD: "村委会主任",
    TOWNSHIP_REVIEWER: "乡镇计生办",
    COUNTY_APPROVER: "县人口计生委",
    FINANCE_OFFICER: "财务发放",
}


@dataclass(frozen=True)
class CaseFacts:
    """What a message may say about a case: masked, ready to print."""

    case_id: int
    name: str  # 王*英
    id_number: str  # 1301**********9188
    card_last4: str  # 2824
    program: str  # 紧急慰藉
    village: str  # 李庄村


def _applicant_text(event: str, facts: CaseFacts, amount: str) -> str:
    whose = f"{facts.name}，您申请的{facts.program}（身份证{facts.id_number}）"
    card = f"尾号{facts.card_last4}的银行卡"
    texts = {
        RECEIVED: f"{whose}已受理",
        RETURNED: f"{whose}需要补正材料，请与村计生专干联系",
        APPROVED: f"{whose}已审核通过，{amount}将发放到您{card}",
        REJECTED: f"{whose}未获批准。如有疑问，请与村计生专干联系",
        PAID: f"{whose}{amount}已发放到您{card}，请注意查收",
        ENROLLED: f"{whose}已审核通过，扶助金将按年度发放到您{card}",
        REVOKED: (
            f"{whose}经县人口计生委核查已取消资格，已领取的款项将依法追回。"
            "如有异议，请与县人口计生委联系"
        ),
        ENDED: f"{whose}经年审终止，以后年度不再发放。如有疑问，请与村计生专干联系",
    }
    return f"{SIGNATURE}{texts[event]}，案件编号{facts.case_id}。"


def applicant_body(
    event: str, facts: CaseFacts, *, amount_fen: int | None = None, money: str = "救助金"
) -> str:
    """The message to the applicant about ``event`` on their case; ``money`` names what is
    paid (a one-time 救助金, or a year's 扶助金)."""
    amount = f"{money}{display_cny(amount_fen)}" if amount_fen else money
    return _applicant_text(event, facts, amount)


def task_assigned_body(facts: CaseFacts, *, task_name: str) -> str:
    return (
        f"{SIGNATURE}您有一项新的待办：{task_name}（{facts.program}，{facts.village}，"
        f"申请人{facts.name}，案件编号{facts.case_id}）。请及时办理。"
    )


def task_reassigned_body(facts: CaseFacts, *, task_name: str, reason: str) -> str:
    """改派: a task was handed to this person by the level above (or an administrator)."""
    return (
        f"{SIGNATURE}待办“{task_name}”（{facts.program}，{facts.village}，申请人{facts.name}，"
        f"案件编号{facts.case_id}）已改派给您，原因：{reason}。请及时办理。"
    )


def holder_text(full_name: str | None, username: str | None) -> str:
    """Who holds a task now, as a notice names them: 张三（zhangsan）, or 未认领."""
    if username is None:
        return "未认领"
    return f"{full_name}（{username}）" if full_name else username


def _local(moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(get_settings().timezone))
    return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"


def overdue_body(
    facts: CaseFacts, *, task_name: str, role: str, due_at: datetime | None, holder: str = "未认领"
) -> str:
    """督办: the level above hears that a step passed its time limit, and who holds it now
    (``holder_text``): after a reassignment, the new holder."""
    who = ROLE_NAMES.get(role, role)
    due = f"（应于{_local(due_at)}前办结）" if due_at else ""
    return (
        f"{SIGNATURE}督办：{facts.village}案件编号{facts.case_id}（{facts.program}，"
        f"申请人{facts.name}）的待办“{task_name}”（{who}，办理人：{holder}）已超过办理期限{due}，"
        "请督促办理。"
    )
