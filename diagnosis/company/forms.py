from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..credit_codes import normalise_uscc, uscc_error
from ..inputs import NumberField, parse_int


class CountField(IntegerField):
    """A whole number in ASCII digits: int() also takes "٣" and 4000-digit numbers, and a number
    that large made the range check overflow (a 500)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = parse_int(valuelist[0], 0, 10**12)
            if self.data is None:
                raise ValueError(_("请输入整数。"))

USCC_REASONS = {
    "length": _l("统一社会信用代码应为18位。"),
    "character": _l("统一社会信用代码含有无效字符（不使用I、O、S、V、Z）。"),
    "region": _l("统一社会信用代码第3至8位应为行政区划代码数字。"),
    "check": _l("统一社会信用代码校验位不正确，请核对是否有输错的字符。"),
}


def valid_uscc(form, field):
    field.data = normalise_uscc(field.data or "")
    reason = uscc_error(field.data)
    if reason:
        raise ValidationError(USCC_REASONS[reason])


class CompanyForm(FlaskForm):
    name = StringField(_l("企业名称"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(), valid_uscc],
                       description=_l("18位，见营业执照。"))
    industry_division = SelectField(_l("所属行业（国民经济行业分类大类）"), validators=[DataRequired()])
    employees = CountField(_l("从业人员（人）"), validators=[InputRequired(), NumberRange(min=0, max=10_000_000)])
    revenue = NumberField(_l("上年营业收入（万元）"), validators=[InputRequired(), NumberRange(min=0, max=1e9)])
