"""Each role's menu shows its own pages only; the login page says what the service is."""
from __future__ import annotations

import questionnaires


def test_firms_see_no_staff_or_developer_links(world, client):
    page = client().login(world.a.enterprise).get("/home").text
    for link in ("/auth/tokens", "/reports/batches/", "/imports/", "/zone/", "/workspace/"):
        assert f'href="{link}' not in page, link
    assert 'href="/company/profile"' in page and 'href="/notifications/"' in page


def test_staff_menus(world, client):
    consultant = client().login(world.a.consultant).get("/home").text
    assert all(f'href="{link}"' in consultant for link in ("/workspace/", "/reports/batches/", "/imports/", "/auth/tokens"))
    assert 'href="/zone/"' not in consultant
    admin = client().login(world.a.zone_admin).get("/home").text
    assert all(f'href="{link}"' in admin for link in ("/zone/", "/zone/assignments", "/zone/outbox", "/auth/tokens"))


def test_the_login_page_says_what_the_service_is(app, client):
    for lang, words in (("zh", "道题"), ("en", "questions")):
        page = client().get(f"/auth/login?lang={lang}").text
        for inst in questionnaires.available().values():
            assert f"{inst.title.get(lang)}" in page and f"{len(inst.questions)} {words}" in page
