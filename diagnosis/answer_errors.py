"""What a user is told about an answer that cannot be saved, in their language."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from questionnaires import Instrument
from questionnaires.answers import AnswerError
from reports.context import answer_text

from .models import Answer

ANSWER_ERRORS = {
    "not_object": _l("答案格式不正确。"),
    "unknown_question": _l("没有这道题。"),
    "not_option": _l("请从给出的选项中选择。"),
    "not_list": _l("请从给出的选项中选择。"),
    "not_number": _l("请输入数字。"),
    "not_integer": _l("请输入整数。"),
    "out_of_range": _l("请输入 %(min)s 到 %(max)s 之间的数。"),
    "not_bool": _l("请选择“是”或“否”。"),
    "not_text": _l("请输入文字。"),
    "too_long": _l("不能超过 %(max)s 个字。"),
}


def answer_error_text(p: AnswerError) -> str:
    return str(ANSWER_ERRORS[p.code]) % p.params if p.params else str(ANSWER_ERRORS[p.code])


def conflict_text(inst: Instrument, qid: str, row: Answer, lang: str) -> str:
    """An answer changed elsewhere since the page showed it: who changed it, and to what."""
    who = row.updated_by.name if row.updated_by else _("其他人")
    return _("这道题刚被%(who)s改为“%(value)s”，您的修改没有覆盖它。如仍要修改，请重新作答。",
             who=who, value=answer_text(inst, qid, row.value, lang))
