from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice


class SettingsForm(FlaskForm):
    lang = RadioField(_l("消息和邮件的语言"), choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")])
    notify_by_mail = BooleanField(_l("同时发送邮件提醒"))
    save = SubmitField(_l("保存"))
