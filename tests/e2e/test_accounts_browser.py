"""A new firm on a phone: registers with the invitation code and accepts the privacy notice, logs out,
forgets its password, opens the reset link from the mail that arrived at a real SMTP server on
loopback, sets a new password and logs in with it."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import User

from ..test_mail import _body, smtp, worker  # noqa: F401  (fixtures)
from .conftest import PHONE, shot
from .test_journeys import axe_violations_in

EMAIL, FIRST, SECOND = "li.manager@example.com", "Lathe-2026-first", "Milling-2027-second"


def _mail_link(inbox) -> str:
    for _ in range(150):  # bounded wait for the queue worker
        if inbox.messages:
            break
        time.sleep(0.1)
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == EMAIL
    return re.search(r"https?://[^/\s]+(/auth/reset/\S+)", _body(inbox.messages[0])).group(1)


def test_a_new_firm_registers_forgets_its_password_and_resets_it_from_the_mail(app, world, new_page,
                                                                                 smtp, worker):  # noqa: F811
    page = new_page(PHONE)
    page.goto("/auth/register")
    page.fill("input[name=invite_code]", world.a.invite)
    page.fill("input[name=name]", "李经理")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", FIRST)
    page.fill("input[name=confirm]", FIRST)
    # Without accepting the notice there is no account.
    page.click("main button[type=submit]")
    page.locator(".error, .errors").first.wait_for(state="visible", timeout=10000)
    page.check("input[name=privacy]")
    page.fill("input[name=password]", FIRST)
    page.fill("input[name=confirm]", FIRST)
    page.click("main button[type=submit]")
    page.wait_for_url("**/auth/login")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        assert user is not None and user.privacy_version and user.privacy_accepted_at is not None

    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", FIRST)
    page.click("main button[type=submit]")
    page.wait_for_url("**/home")
    # Log out through the phone's folded menu.
    page.click(".menu-toggle")
    page.click("#main-nav form button[type=submit]")
    page.wait_for_url("**/auth/login")

    # Forgotten: ask for a link from the login page.
    page.click("a[href='/auth/forgot']")
    page.wait_for_url("**/auth/forgot")
    page.fill("input[name=email]", EMAIL)
    page.click("main button[type=submit]")
    page.wait_for_url("**/auth/login")
    link = _mail_link(smtp)
    page.goto(link)
    shot(page, "reset-375")
    assert not axe_violations_in(page)
    page.fill("input[name=password]", SECOND)
    page.fill("input[name=confirm]", SECOND)
    page.click("main button[type=submit]")
    page.wait_for_url("**/auth/login")
    # The old password is gone, the new one works; the link does not work twice.
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", FIRST)
    page.click("main button[type=submit]")
    # Wait for the refusal itself: the page already shows the reset's success message.
    page.locator(".flash-error").first.wait_for(state="visible")
    assert page.url.endswith("/auth/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", SECOND)
    page.click("main button[type=submit]")
    page.wait_for_url("**/home")
    again = page.context.new_page()
    assert again.goto(link).status == 400
