"""Time the zone dashboard's data requests on a large zone.

    DATABASE_URL=... .venv/bin/python benchmarks/dashboard.py [--firms 100000] [--repeat 7]
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/dashboard.py --zones 100 --firms 1000000 [--roster 50000]
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/dashboard.py --zones 100 --reuse --roster 0  (time again)

With --zones, a province of that many zones (ten per city) is seeded in bulk and every
dashboard and programme request is timed as province, city and zone staff (benchmarks/province.py).

Seeds the demo zone with --firms synthetic firms if the database has no demo zone
yet (`diagnosis demo --firms N` does the same), then, logged in as the demo zone
administrator, requests every figure of the dashboard (as the page does) with no
filter and with an industry, size and quarter filter. Prints the median and
slowest time of each request, and beside it a baseline: the same figure computed
the obvious way, loading the zone's results as ORM objects and counting in Python.
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

PARTS = ("overview", "levels", "dimensions", "heatmap", "trend", "closest", "stalled")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def naive_levels_and_dimensions(zone_id: int, instrument_id: str) -> dict:
    """The baseline: every latest result of the zone as an ORM object, counted in Python."""
    from diagnosis.extensions import db
    from diagnosis.models import Company, Result
    results = db.session.scalars(sa.select(Result).join(Company, Company.id == Result.company_id)
                                 .where(Company.zone_id == zone_id, Result.instrument_id == instrument_id, Result.is_latest)).all()
    levels: dict = {}
    sums: dict = {}
    for r in results:
        levels[r.level] = levels.get(r.level, 0) + 1
        for d, v in r.dimensions.items():
            sums[d] = sums.get(d, 0.0) + v["percent"]
    db.session.expunge_all()
    return {"levels": levels, "dimensions": {d: s / max(1, len(results)) for d, s in sums.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--zones", type=int, default=0, help="province scale: this many zones (PostgreSQL only)")
    ap.add_argument("--roster", type=int, default=50_000, help="with --zones: rows of the timed roster import")
    ap.add_argument("--reuse", action="store_true",
                    help="with --zones: time the province already seeded in this database (its mark present) "
                         "without seeding; without it a seeded database is refused, so figures are never "
                         "mistaken for a fresh seed's")
    args = ap.parse_args()
    if args.zones:
        province_run(args)
        return

    from diagnosis import create_app
    from diagnosis.demo import DEMO_INVITE, DEMO_PASSWORD, DEMO_USERS, seed
    from diagnosis.extensions import db
    from diagnosis.models import Assessment, Company, Result, Zone
    from diagnosis.zone.stats import periods

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        if db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == DEMO_INVITE)) is None:
            t = time.perf_counter()
            seed(args.firms)
            print(f"seeded {args.firms} firms in {time.perf_counter() - t:.0f} s")
        zone_id = db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == DEMO_INVITE))
        n_firms = db.session.scalar(sa.select(sa.func.count()).select_from(Company).where(Company.zone_id == zone_id))
        n_assessments = db.session.scalar(sa.select(sa.func.count()).select_from(Assessment))
        n_results = db.session.scalar(sa.select(sa.func.count()).select_from(Result))
        quarter = periods(zone_id, "sme-digital")[-2]
        top_industry = db.session.scalar(sa.select(Company.industry_division).where(Company.zone_id == zone_id)
                                         .group_by(Company.industry_division).order_by(sa.func.count().desc()).limit(1))
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}; zone of {n_firms} firms; "
          f"{n_assessments} assessments, {n_results} results")

    client = app.test_client()
    page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post("/auth/login", data={"email": DEMO_USERS["zone_admin"], "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302, "could not log in as the demo zone administrator"

    filters = {"no filter": "", "industry+size+quarter": f"industry={top_industry}&size=small&period={quarter}"}
    print(f"\n{'request':<34}{'median ms':>10}{'max ms':>10}")
    worst = 0.0
    for label, query in filters.items():
        for part in PARTS:
            url = f"/zone/data/{part}.json" + (f"?{query}" if query else "")
            assert client.get(url).status_code == 200  # warm: instrument files, caches
            times = timed(lambda url=url: client.get(url), args.repeat)
            worst = max(worst, statistics.median(times))
            print(f"{part + ' (' + label + ')':<34}{1000 * statistics.median(times):>10.1f}{1000 * max(times):>10.1f}")
        page = "/zone/" + (f"?{query}" if query else "")
        page_times = timed(lambda page=page: client.get(page), args.repeat)
        print(f"{'page HTML (' + label + ')':<34}{1000 * statistics.median(page_times):>10.1f}{1000 * max(page_times):>10.1f}")

    with app.app_context():
        ours = timed(lambda: (client.get("/zone/data/levels.json"), client.get("/zone/data/dimensions.json")), args.repeat)
        naive = timed(lambda: naive_levels_and_dimensions(zone_id, "sme-digital"), max(2, args.repeat // 3))
    print(f"\nlevels+dimensions, SQL aggregates through HTTP: {1000 * statistics.median(ours):.1f} ms")
    print(f"levels+dimensions, ORM rows counted in Python (baseline): {1000 * statistics.median(naive):.1f} ms")
    print(f"ratio baseline/ours: {statistics.median(naive) / statistics.median(ours):.1f}x")
    print(f"\nslowest median data request: {1000 * worst:.1f} ms (target: under 300 ms)")


def _province_module():
    """benchmarks/province.py, loaded by path (this directory is kept off sys.path on purpose)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("province", Path(__file__).resolve().parent / "province.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def province_run(args) -> None:
    from diagnosis import create_app
    from diagnosis.extensions import db
    from diagnosis.models import Zone

    province = _province_module()
    app = create_app()
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        sys.exit("--zones needs PostgreSQL (DATABASE_URL=postgresql://...)")
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        seeded = db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == f"{province.MARK}-1")) is not None
        if seeded and not args.reuse:
            sys.exit("this database holds a province seed already: pass --reuse to time it, or use an empty database")
        if not seeded:
            t = time.perf_counter()
            made = province.seed(args.zones, args.firms)
            province.vacuum()
            print(f"seeded {args.zones} zones, {args.firms} firms (one result each) in bulk in {made['seconds']:.0f} s; "
                  f"with VACUUM ANALYZE {time.perf_counter() - t:.0f} s; programme roster of {made['roster']} firms")
        elif not province.has_change():
            # a seed from before seed_change: add the re-assessments, plans and providers, then recount
            import questionnaires
            from diagnosis import figures_cube
            t = time.perf_counter()
            version = db.session.scalar(sa.text("SELECT min(a.instrument_version_id) FROM assessments a "
                                                "JOIN companies c ON c.id = a.company_id WHERE c.uscc LIKE 'PB%'"))
            province.seed_change(version, min(lv.id for lv in questionnaires.get("sme-digital").levels))
            figures_cube.rebuild()
            db.session.commit()
            province.vacuum()
            print(f"added re-assessments, plans and providers to the seed in {time.perf_counter() - t:.0f} s")
        staff = {tag: f"{tag}@{province.MARK.lower()}.example.com" for tag in ("province", "city", "zone")}
        from diagnosis.models import Programme
        programme_id = db.session.scalar(sa.select(Programme.id).where(Programme.name == f"{province.MARK} programme"))
        counts = db.session.execute(sa.text("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM assessments), "
                                            "(SELECT count(*) FROM results), (SELECT count(*) FROM zones)")).one()
    print(f"database: postgresql; {counts[3]} zones, {counts[0]} firms, {counts[1]} assessments, {counts[2]} results")
    worst = province.measure(app, staff, programme_id, args.repeat)
    print(f"\nslowest median request at province level: {1000 * worst:.1f} ms (target: under 300 ms)")
    if args.roster:
        with app.app_context():
            province.roster_import(args.roster)


if __name__ == "__main__":
    main()
