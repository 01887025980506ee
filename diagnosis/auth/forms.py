from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

MIN_PASSWORD = 10


# Passwords seen most often in leaked lists that would pass the letters-and-digits rule.
COMMON = {"password123", "password1234", "abcd123456", "qwerty123456", "a123456789", "1qaz2wsx3edc",
          "woaini1314520", "aa123456789", "abc1234567", "admin123456", "qwe123456789", "zxcvbnm123"}


def strong_password(form, field):
    pw = field.data or ""
    if not (any(c.isalpha() for c in pw) and any(c.isdigit() for c in pw)):
        raise ValidationError(_l("密码需同时包含字母和数字。"))
    if pw.lower() in COMMON or len(set(pw)) < 5:
        raise ValidationError(_l("这个密码太常见或太简单，请换一个。"))


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    invite_code = StringField(_l("园区邀请码"), validators=[DataRequired(), Length(max=64)],
                              description=_l("由园区管理部门提供，用于确认您所在的园区。"))
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200), strong_password],
                             description=_l("至少10位，包含字母和数字。"))
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))])
    privacy = BooleanField(_l("我已阅读并同意《个人信息保护说明》"),
                           validators=[DataRequired(message=_l("注册前请阅读并同意《个人信息保护说明》。"))])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200), strong_password],
                             description=_l("至少10位，包含字母和数字。"))
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))])


class ForgotForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200), strong_password],
                             description=_l("至少10位，包含字母和数字。"))
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))])
