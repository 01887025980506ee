"""WTForms forms built from an instrument definition, one form per page (dimension).

WTForms renders and coerces the inputs; `questionnaires.clean_answers` is the
single authority on what a valid answer is, for forms, autosave and the API alike.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from questionnaires import Question

from ..inputs import NumberField


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CommentsForm(FlaskForm):
    comments = TextAreaField(_l("顾问意见"), validators=[Optional(), Length(max=20000)],
                             description=_l("写给企业的诊断意见，会出现在报告中；空一行另起一段。"))
    save = SubmitField(_l("保存草稿"))
    finalise = SubmitField(_l("定稿"))


class PageForm(FlaskForm):
    """Fields are added per page by `page_form`."""


def _field(q: Question, lang: str) -> Field:
    label = q.text.get(lang)
    desc = q.help.get(lang)
    if q.type in ("single", "level"):
        return RadioField(label, choices=[SelectChoice(o.id, o.text.get(lang)) for o in q.options], description=desc,
                          validate_choice=False, validators=[Optional()])
    if q.type == "multi":
        return CheckboxesField(label, choices=[SelectChoice(o.id, o.text.get(lang)) for o in q.options], description=desc,
                               validate_choice=False, validators=[Optional()])
    if q.type == "yesno":
        return RadioField(label, choices=[SelectChoice("true", _("是")), SelectChoice("false", _("否"))], description=desc,
                          validate_choice=False, validators=[Optional()])
    if q.type == "number":
        return NumberField(label, description=desc, validators=[Optional()],
                          widget=NumberInput(step=1 if q.integer else "any", min=q.min, max=q.max))
    return TextAreaField(label, description=desc, validators=[Optional()])


def page_form(questions: list[Question], lang: str, answers: dict[str, Any], formdata=None) -> PageForm:
    cls = type("Page", (PageForm,), {q.id: _field(q, lang) for q in questions})
    data = {q.id: _to_form(q, answers.get(q.id)) for q in questions}
    return cls(formdata=formdata, data=data)


def _to_form(q: Question, value: Any) -> Any:
    if q.type == "yesno" and isinstance(value, bool):
        return "true" if value else "false"
    return value


def posted_answers(form: PageForm, questions: list[Question]) -> dict[str, Any]:
    """Answers given on a submitted page. Blank inputs are left out rather than
    cleared, so a stale second tab cannot wipe answers saved from the first."""
    out: dict[str, Any] = {}
    for q in questions:
        data = form[q.id].data
        if q.type == "yesno" and data in ("true", "false"):
            out[q.id] = data == "true"
        elif q.type == "multi":
            if data:
                out[q.id] = list(data)
        elif data not in (None, "", []):
            out[q.id] = data
    return out
