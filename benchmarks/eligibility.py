"""Time the eligibility overview and the ready-to-apply lists at province scale (PostgreSQL only).

    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/eligibility.py --zones 20 --firms 100000 [--repeat 5]

Seeds a province with benchmarks/province.py (one sme-digital result per firm) if the database has none, then
gives 60% of the firms a smart-manufacturing result and 30% a cloud-adoption result (levels spread over the
scale, INSERT ... SELECT), so that every shipped rule has firms on both sides of its threshold. Then, as
province, city and zone staff, prints the median and slowest time of:
- the overview the obvious way (each visible firm's latest levels loaded, every rule evaluated per firm in
  Python: what eligibility/service.py did before) and the overview now (one counting query per rule: the
  zones' pre-aggregates for a one-instrument rule), checked to give the same counts;
- one page of 100 ready firms, the whole list (the export's rows), and the two pages over HTTP.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import sqlalchemy as sa  # noqa: E402

MARK_EXTRA = "eligibility-bench"  # audit-free marker: the extra results are found by their method column


def _province_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("province", Path(__file__).resolve().parent / "province.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_levels() -> int:
    """Smart-manufacturing (60% of the firms) and cloud-adoption (30%) results for the province's firms."""
    import questionnaires
    from diagnosis.assessments import service
    from diagnosis.extensions import db
    made = 0
    for instrument_id, share in (("smart-manufacturing", 6), ("cloud-adoption", 3)):
        inst = questionnaires.get(instrument_id)
        version = service.snapshot(inst).id
        top = max(lv.id for lv in inst.levels)
        db.session.execute(sa.text("""
            INSERT INTO assessments (company_id, instrument_version_id, status, review_state, created_at, updated_at,
                                     submitted_at)
            SELECT id, :v, 'submitted', 'submitted', now(), now(), now() - ((id % 300) || ' days')::interval
            FROM companies WHERE uscc LIKE 'PB%' AND (id::bigint * 7919) % 10 < :share"""), {"v": version, "share": share})
        made += db.session.execute(sa.text(f"""
            INSERT INTO results (assessment_id, company_id, instrument_id, period, is_latest, latest_in_period,
                                 method, total, level, dimensions, details, computed_at)
            SELECT a.id, a.company_id, :inst, '2026Q3', true, true, '{MARK_EXTRA}', 50.0,
                   LEAST({top}, ((a.company_id::bigint * 104729) % 1000) / {1000 // (top + 1) + 1}), '{{}}'::json,
                   '{{}}'::json, now()
            FROM assessments a WHERE a.instrument_version_id = :v"""), {"inst": instrument_id, "v": version}).rowcount
    db.session.commit()
    from diagnosis import figures_cube
    figures_cube.rebuild()   # raw inserts pass no session event: count the zones' pre-aggregates again
    db.session.commit()
    return made


def per_firm_overview(user) -> list[tuple[str, int, int]]:
    """The overview as it was computed before: every visible firm's latest levels, each rule evaluated per firm."""
    from diagnosis.access import visible_company_ids
    from diagnosis.eligibility.service import latest_levels
    from questionnaires import eligibility as rules_data
    levels = latest_levels(visible_company_ids(user))
    return [(r.id, sum(1 for lv in levels.values() if rules_data.evaluate(r, lv).eligible), len(levels))
            for r in rules_data.rules()]


def timed(fn, repeat: int, *args) -> tuple[float, float, object]:
    out = fn(*args)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zones", type=int, default=20)
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from diagnosis import create_app
    from diagnosis.eligibility import service
    from diagnosis.extensions import db
    from diagnosis.models import Result, User, Zone

    province = _province_module()
    app = create_app()
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        sys.exit("needs PostgreSQL (DATABASE_URL=postgresql://...)")
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        if db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == f"{province.MARK}-1")) is None:
            t = time.perf_counter()
            province.seed(args.zones, args.firms)
            print(f"seeded {args.zones} zones, {args.firms} firms in {time.perf_counter() - t:.0f} s")
        from diagnosis.models import FigureCell
        if db.session.scalar(sa.select(sa.func.count()).select_from(Result).where(Result.method == MARK_EXTRA)) == 0:
            t = time.perf_counter()
            made = seed_levels()
            province.vacuum()
            print(f"added {made} smart-manufacturing and cloud-adoption results in {time.perf_counter() - t:.0f} s")
        elif db.session.scalar(sa.select(sa.func.count()).select_from(FigureCell)
                               .where(FigureCell.instrument_id == "smart-manufacturing")) == 0:
            from diagnosis import figures_cube
            figures_cube.rebuild()   # results added by an earlier run of this script before it rebuilt them
            db.session.commit()
        counts = db.session.execute(sa.text("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM results), "
                                            "(SELECT count(*) FROM zones)")).one()
    print(f"database: postgresql; {counts[2]} zones, {counts[0]} firms, {counts[1]} results\n")
    print(f"{'level':<10}{'request':<44}{'median ms':>10}{'max ms':>10}")
    for level in ("province", "city", "zone"):
        email = f"{level}@{province.MARK.lower()}.example.com"
        with app.test_request_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            before = timed(per_firm_overview, args.repeat, user)
            after = timed(service.overview, args.repeat, user, "zh")
            # The same figures both ways, or the timing compares different work.
            assert [(r["id"], r["ready"]) for r in after[2]] == [(i, n) for i, n, _ in before[2]], (before[2], after[2])
            rows = [("overview, per firm in Python (before)", before),
                    ("overview, one query per rule (now)", after)]
            for rule_id in ("excellent-smart-factory", "js-five-star-cloud-2024"):
                rows.append((f"{rule_id[:22]}: page of 100", timed(service.ready_firms, args.repeat,
                                                                   user, rule_id, "zh", 1)))
                rows.append((f"{rule_id[:22]}: all (export rows)",
                             timed(service.ready_firms, max(1, args.repeat // 2), user, rule_id, "zh", None)))
            db.session.remove()
        for label, (med, top, _out) in rows:
            print(f"{level:<10}{label:<44}{1000 * med:>10.1f}{1000 * top:>10.1f}")
        ready = {r["id"]: (r["ready"], r["assessed"]) for r in after[2]}
        print(f"{'':<10}ready / assessed: {ready}")
        client = app.test_client()
        page = client.get("/auth/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert client.post("/auth/login", data={"email": email, "password": province.PASSWORD,
                                                "csrf_token": token}).status_code == 302
        for label, url in (("page /eligibility/ (HTTP)", "/eligibility/"),
                           ("page ready list, 100 firms (HTTP)", "/eligibility/rules/excellent-smart-factory")):
            med, top, _ = timed(client.get, args.repeat, url)
            print(f"{level:<10}{label:<44}{1000 * med:>10.1f}{1000 * top:>10.1f}")


if __name__ == "__main__":
    main()
