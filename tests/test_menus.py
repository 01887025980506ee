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


def test_staff_pages_are_grouped_so_the_bar_stays_one_line(world, client):
    """Zone staff have many pages: beyond home, assessments and the dashboard they sit in three groups
    (plain <details>, so they open without JavaScript), in both languages."""
    import re
    for lang, names in (("zh", ("项目与企业", "报告与导入", "人员与账号")), ("en", ("Programmes & firms", "Reports & imports", "People & accounts"))):
        page = client().login(world.a.zone_admin).get(f"/home?lang={lang}").text
        nav = page[page.index('<nav id="main-nav"'):page.index("</nav>")]
        groups = re.findall(r'<details class="nav-group"><summary>(.*?)</summary>(.*?)</details>', nav, re.S)
        assert tuple(g[0] for g in groups) == names
        assert sum(g[1].count("<a ") for g in groups) == 11
        outside = re.sub(r"<details.*?</details>", "", nav, flags=re.S)
        assert outside.count("<a ") == 4  # home, assessments, dashboard, the other language
