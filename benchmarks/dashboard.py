"""Time the zone dashboard's data requests on a large zone.

    DATABASE_URL=... .venv/bin/python benchmarks/dashboard.py [--firms 100000] [--repeat 7]

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
    args = ap.parse_args()

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


if __name__ == "__main__":
    main()
