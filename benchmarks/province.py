"""Province-scale seeding and timing for benchmarks/dashboard.py --zones N (PostgreSQL only).

The province, its cities (ten zones each), the zones and their firms, one submitted assessment
per firm with its result and dimension scores are written with INSERT ... SELECT over
generate_series: the database makes the rows, nothing passes through the ORM one by one.
Then, logged in as province, city and zone staff in turn, each dashboard figure and each
programme page is requested and its median printed.
"""
from __future__ import annotations

import io
import re
import statistics
import time

import sqlalchemy as sa

MARK = "PROV-BENCH"
ZONES_PER_CITY = 10
PASSWORD = "bench-password-2026"
PARTS = ("overview", "levels", "dimensions", "heatmap", "trend", "closest", "stalled")
DIVISIONS = ["33", "34", "35", "38", "39", "29", "26", "36", "40", "30", "17", "27", "14", "22", "32"]


def _sql(statement: str, **params) -> None:
    from diagnosis.extensions import db
    db.session.execute(sa.text(statement), params)


def seed(zones: int, firms: int) -> dict:
    """Bulk rows for a province of `zones` zones and `firms` firms; returns the staff emails and programme id."""
    import questionnaires
    from diagnosis import areas
    from diagnosis.assessments import service
    from diagnosis.extensions import db
    from diagnosis.models import Area, Programme, RosterEntry, Target, User, Zone, utcnow
    from diagnosis.programmes.links import token_hash

    inst = questionnaires.get("sme-digital")
    version = service.snapshot(inst).id
    province = areas.create("province", f"{MARK} 省")
    cities = [areas.create("city", f"{MARK} 市{c + 1}", province) for c in range((zones + ZONES_PER_CITY - 1) // ZONES_PER_CITY)]
    zone_ids = []
    for z in range(zones):
        zone = Zone(name=f"{MARK} 园区{z + 1}", invite_code=f"{MARK}-{z + 1}", sub_zones=[])
        db.session.add(zone)
        db.session.flush()  # the zone's area is made by the insert listener
        areas.place(areas.of_zone(zone.id), cities[z // ZONES_PER_CITY])
        zone_ids.append(zone.id)
    db.session.commit()
    t = time.perf_counter()
    divisions = "ARRAY[" + ",".join(f"'{d}'" for d in DIVISIONS) + "]"
    _sql(f"""INSERT INTO companies (zone_id, name, uscc, industry_section, industry_division, employees, revenue,
                                    size_class, sub_zone, created_at)
             SELECT (:z0 + (g % :zones)), 'bench firm ' || g, 'PB' || lpad(g::text, 16, '0'), 'C',
                    ({divisions})[1 + get_byte(h, 0) % {len(DIVISIONS)}], 10 + (g * 13) % 900, 100 + (g * 31) % 30000,
                    (ARRAY['large','medium','small','micro'])[1 + get_byte(h, 1) % 4],
                    (ARRAY['东区','西区','科创园','保税区'])[1 + get_byte(h, 2) % 4], now()
             FROM (SELECT g, decode(md5(g::text), 'hex') AS h FROM generate_series(1, :firms) g) s""", z0=zone_ids[0], zones=zones, firms=firms)
    _sql("""INSERT INTO assessments (company_id, instrument_version_id, status, created_at, updated_at, submitted_at)
            SELECT c.id, :v, 'submitted', ts, ts, ts FROM (
              SELECT id, now() - (((id::bigint * 7919) % 540) || ' days')::interval AS ts FROM companies
              WHERE uscc LIKE 'PB%') c""", v=version)
    levels = sorted(lv.id for lv in inst.levels)
    _sql(f"""INSERT INTO results (assessment_id, company_id, instrument_id, period, is_latest, latest_in_period,
                                  previous_level, next_gap, method, total, level, dimensions, details, indicators,
                                  computed_at)
             SELECT a.id, a.company_id, 'sme-digital',
                    to_char(a.submitted_at, 'YYYY') || 'Q' || extract(quarter FROM a.submitted_at)::int,
                    true, true, NULL, CASE WHEN lv < {levels[-1]} THEN ((a.id * 17) % 100) / 100.0 END,
                    'weighted', tot, lv, '{{}}'::json, '{{}}'::json, NULL, now()
             FROM (SELECT id, company_id, submitted_at, ((id * 37) % 1000) / 10.0 AS tot,
                          LEAST({levels[-1]}, {levels[0]} + ((id * 37) % 1000) / 200) AS lv
                   FROM assessments WHERE instrument_version_id = :v AND status = 'submitted') a
             WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.assessment_id = a.id)""", v=version)
    dims = "ARRAY[" + ",".join(f"'{d.id}'" for d in inst.dimensions) + "]"
    _sql(f"""INSERT INTO dimension_scores (result_id, dimension_id, percent)
             SELECT r.id, d, ((r.id * 13 + length(d) * 7) % 100)::float
             FROM results r CROSS JOIN unnest({dims}) d
             WHERE r.company_id IN (SELECT id FROM companies WHERE uscc LIKE 'PB%')""")
    seed_change(version, levels[0])
    db.session.commit()
    seeded = time.perf_counter() - t
    from diagnosis import figures_cube
    t = time.perf_counter()
    figures_cube.rebuild()
    db.session.commit()
    print(f"per-zone pre-aggregates (figures_cube.rebuild) counted in {time.perf_counter() - t:.0f} s")

    staff = {}
    for tag, area in (("province", province), ("city", cities[0]), ("zone", areas.of_zone(zone_ids[0]))):
        u = User(email=f"{tag}@{MARK.lower()}.example.com", name=f"{tag} staff", role="zone_admin", zone_id=None,
                 area_id=area.id)
        u.set_password(PASSWORD)
        db.session.add(u)
        staff[tag] = u.email
    # A running programme in the first zone: its whole firm list on the roster, and two targets.
    first_area = areas.of_zone(zone_ids[0])
    p = Programme(area_id=first_area.id, zone_id=zone_ids[0], name=f"{MARK} programme", instrument_id="sme-digital",
                  starts_on=(utcnow().date().replace(year=utcnow().year - 1)), ends_on=utcnow().date().replace(
                      year=utcnow().year + 1), reminder_days=7, reminder_cap=3, quotas={}, status="running")
    db.session.add(p)
    db.session.flush()
    rows = db.session.execute(sa.text("SELECT id, uscc, name, industry_division, size_class, sub_zone FROM companies "
                                      "WHERE zone_id = :z"), {"z": zone_ids[0]}).all()
    db.session.execute(sa.insert(RosterEntry), [
        {"programme_id": p.id, "uscc": u, "name": n, "industry_division": d, "size_class": s, "above_scale": i % 2 == 0,
         "sub_zone": sz, "company_id": cid, "token_hash": token_hash(p.id, u), "reminders_sent": 0,
         "invited_at": utcnow() if i % 3 else None} for i, (cid, u, n, d, s, sz) in enumerate(rows)])
    for name, indicator, level in (("coverage", "coverage", None), ("level 2+ share", "share_at_level", 2)):
        db.session.add(Target(area_id=first_area.id, programme_id=p.id, name=name, indicator=indicator,
                              instrument_id="sme-digital", min_level=level, above_scale_only=False, base_year=2025,
                              base_value=0, target_year=2027, target_value=90, nature="expected",
                              source="benchmark (not a real target)", is_demo=True))
    db.session.add(Target(area_id=province.id, name="province level 2+", indicator="firms_at_level",
                          instrument_id="sme-digital", min_level=2, above_scale_only=False, base_year=2025,
                          base_value=0, target_year=2027, target_value=firms // 2, nature="expected",
                          source="benchmark (not a real target)", is_demo=True))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) >= zones
    return {"staff": staff, "programme": p.id, "seconds": seeded, "roster": len(rows)}


CHANGE_EVERY = 50  # one bench firm in 50 has a second round, one in 40 a plan, one in 50 a provider


def seed_change(version: int, lowest: int) -> None:
    """What the diagnosis-to-change page counts, at the scale programmes run (thousands of free diagnoses
    a year, not every firm): one firm in 50 was assessed once before (a round 200 days earlier, its latest
    result's previous_level set; a quarter of these verified and approved in both rounds), one in 40 has
    two plan items in rotating states, every third with a retrofit project, and each zone has a provider
    given one firm in 50. Bulk SQL like the rest of the seed; the pre-aggregates are rebuilt after it."""
    n = CHANGE_EVERY

    def every(k: int, col: str) -> str:  # one firm in k, by a hash of its id (zones are assigned by id % zones)
        return f"abs(hashtext({col}::text)) % {k} = 0"
    _sql(f"""INSERT INTO assessments (company_id, instrument_version_id, status, created_at, updated_at, submitted_at,
                                      review_state)
             SELECT a.company_id, :v, 'submitted', a.submitted_at - interval '200 days',
                    a.submitted_at - interval '200 days', a.submitted_at - interval '200 days',
                    CASE WHEN {every(4 * n, 'a.company_id')} THEN 'approved' END
             FROM assessments a JOIN companies c ON c.id = a.company_id
             WHERE c.uscc LIKE 'PB%' AND {every(n, 'a.company_id')}""", v=version)
    _sql(f"""INSERT INTO results (assessment_id, company_id, instrument_id, period, is_latest, latest_in_period,
                                  previous_level, next_gap, method, total, level, dimensions, details, indicators,
                                  computed_at, verified_level)
             SELECT e.id, e.company_id, 'sme-digital',
                    to_char(e.submitted_at, 'YYYY') || 'Q' || extract(quarter FROM e.submitted_at)::int,
                    false, true, NULL, r.next_gap, 'weighted', GREATEST(0, r.total - 5),
                    GREATEST({lowest}, r.level - e.company_id % 2), '{{}}'::json, '{{}}'::json, NULL, now(),
                    CASE WHEN e.review_state = 'approved' THEN GREATEST({lowest}, r.level - 1) END
             FROM assessments e JOIN results r ON r.company_id = e.company_id AND r.is_latest
             WHERE e.instrument_version_id = :v AND {every(n, 'e.company_id')}
               AND NOT EXISTS (SELECT 1 FROM results x WHERE x.assessment_id = e.id)""", v=version)
    _sql(f"""UPDATE results r SET previous_level = e.level,
                    verified_level = CASE WHEN {every(4 * n, 'r.company_id')} THEN r.level END
             FROM results e WHERE r.is_latest AND {every(n, 'r.company_id')} AND e.company_id = r.company_id
               AND NOT e.is_latest""")
    _sql(f"""UPDATE assessments a SET review_state = 'approved' FROM results r
             WHERE r.assessment_id = a.id AND r.is_latest AND {every(4 * n, 'r.company_id')}""")
    _sql("""INSERT INTO dimension_scores (result_id, dimension_id, percent)
            SELECT r.id, d.dimension_id, d.percent FROM results r
            JOIN results l ON l.company_id = r.company_id AND l.is_latest
            JOIN dimension_scores d ON d.result_id = l.id
            WHERE NOT r.is_latest AND NOT EXISTS (SELECT 1 FROM dimension_scores x WHERE x.result_id = r.id)""")
    _sql(f"""INSERT INTO plan_items (company_id, assessment_id, instrument_id, title, indicators, due_date, status,
                                     drop_reason, done_at, project_name, created_at, updated_at)
             SELECT r.company_id, r.assessment_id, 'sme-digital', '{{"zh": "改进项", "en": "item"}}'::json, '[]'::json,
                    (now() + ((k * 30) || ' days')::interval)::date,
                    (ARRAY['planned', 'in_progress', 'done', 'dropped'])[1 + (r.company_id + k) % 4],
                    CASE WHEN (r.company_id + k) % 4 = 3 THEN 'bench: dropped' END,
                    CASE WHEN (r.company_id + k) % 4 = 2 THEN now() END,
                    CASE WHEN r.company_id % 3 = 0 AND k = 1 THEN 'retrofit ' || r.company_id END, now(), now()
             FROM results r JOIN companies c ON c.id = r.company_id CROSS JOIN generate_series(1, 2) k
             WHERE r.is_latest AND c.uscc LIKE 'PB%' AND {every(n - 10, 'r.company_id')}""")
    _sql("""INSERT INTO providers (zone_id, name, credit_code, active, created_at)
            SELECT z.id, 'bench provider ' || z.id, 'PBPROV' || lpad(z.id::text, 12, '0'), true, now()
            FROM zones z WHERE z.invite_code LIKE :mark""", mark=f"{MARK}-%")
    _sql(f"""INSERT INTO provider_firms (company_id, provider_id, assigned_at)
             SELECT c.id, p.id, now() FROM companies c JOIN providers p ON p.zone_id = c.zone_id
             WHERE c.uscc LIKE 'PB%' AND p.credit_code LIKE 'PBPROV%' AND abs(hashtext(c.id::text)) % {n} = 1""")


def has_change() -> bool:
    from diagnosis.extensions import db
    return bool(db.session.scalar(sa.text("SELECT count(*) FROM providers WHERE credit_code LIKE 'PBPROV%'")))


def vacuum() -> None:
    from diagnosis.extensions import db
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))


def _timed(client, url: str, repeat: int) -> tuple[float, float]:
    """(median, p95) seconds of `repeat` requests after one warm-up request."""
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95


SUB_ZONE = "东区"  # one of the four sub-zones the seed spreads the firms over


def measure(app, staff: dict, programme_id: int, repeat: int) -> float:
    """Print each request's median and p95 for province, city and zone staff (each figure, the same with
    a sub-zone filter, the dashboard page, the programmes list, the programme page and its 台账); returns
    the worst median at province level."""
    worst_province = 0.0
    print(f"\n{'level':<10}{'request':<40}{'median ms':>10}{'p95 ms':>10}")
    for level, email in staff.items():
        client = app.test_client()
        page = client.get("/auth/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
        urls = [(f"dashboard {part}", f"/zone/data/{part}.json") for part in PARTS]
        urls += [(f"dashboard {part} (sub-zone)", f"/zone/data/{part}.json?sub_zone={SUB_ZONE}") for part in PARTS]
        urls += [("dashboard page HTML", "/zone/"), ("dashboard page HTML (sub-zone)", f"/zone/?sub_zone={SUB_ZONE}"),
                 ("diagnosis-to-change page", "/zone/conversion"),
                 ("programmes (targets)", "/programmes/"), ("programme page", f"/programmes/{programme_id}"),
                 ("programme ledger XLSX", f"/programmes/{programme_id}/ledger.xlsx")]
        for label, url in urls:
            med, p95 = _timed(client, url, repeat if "ledger" not in label else max(3, repeat // 2))
            if level == "province":
                worst_province = max(worst_province, med)
            print(f"{level:<10}{label:<40}{1000 * med:>10.1f}{1000 * p95:>10.1f}", flush=True)
    return worst_province


def roster_import(rows: int) -> None:
    """Time a roster import of `rows` firms into a new programme of the first bench zone."""
    from openpyxl import Workbook

    from diagnosis.credit_codes import USCC_ALPHABET, uscc_check_char
    from diagnosis.extensions import db
    from diagnosis.models import Programme, RosterEntry, User
    from diagnosis.programmes import roster

    def code(i: int) -> str:
        body = ""
        for _ in range(9):
            body = USCC_ALPHABET[i % 31] + body
            i //= 31
        first17 = "91440300" + body
        return first17 + uscc_check_char(first17)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["统一社会信用代码", "企业名称", "行业代码", "企业规模", "规上企业", "联系人", "手机", "邮箱", "片区"])
    for i in range(rows):
        ws.append([code(5_000_000 + i), f"名单企业{i}", "34", "小型", "是" if i % 2 else "否", "联系人", "13800000000",
                   f"r{i}@example.com", "东区"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    user = db.session.scalar(sa.select(User).where(User.email == f"zone@{MARK.lower()}.example.com"))
    base = db.session.scalar(sa.select(Programme).where(Programme.name == f"{MARK} programme"))
    p = Programme(area_id=base.area_id, zone_id=base.zone_id, name=f"{MARK} import {rows}", instrument_id="sme-digital",
                  starts_on=base.starts_on, ends_on=base.ends_on, reminder_days=7, reminder_cap=3, quotas={}, status="draft")
    db.session.add(p)
    db.session.commit()
    t = time.perf_counter()
    done = roster.import_roster(p, data, user)
    print(f"\nroster import: {done.added} rows ({len(data) / 1e6:.1f} MB XLSX) checked and written in "
          f"{time.perf_counter() - t:.1f} s (target: under 30 s)")
    # the timed roster goes again, so a database kept for --reuse stays as seeded
    db.session.execute(sa.delete(RosterEntry).where(RosterEntry.programme_id == p.id))
    db.session.delete(p)
    db.session.commit()
