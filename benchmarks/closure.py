"""Time confirming a firm's account closure on a seeded demo zone, in both zone settings.

    DATABASE_URL=... .venv/bin/python benchmarks/closure.py [--firms 3000] [--closures 3]

Seeds the demo zone with --firms synthetic firms if the database has none (`diagnosis demo
--firms N` does the same), then for --closures firms with submitted assessments: the firm asks,
the demo zone administrator confirms, once with the zone set to anonymise and once to delete.
Prints each confirmation's time (the scrub reads every text column of every table once per
identifying string, so it grows with the database, not with the firm) and the rows in the
database, and checks that the firm's old name, credit code and address are gone.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import sqlalchemy as sa  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=3000)
    ap.add_argument("--closures", type=int, default=3)
    args = ap.parse_args()

    from diagnosis import create_app
    from diagnosis.company import privacy
    from diagnosis.demo import DEMO_INVITE, seed
    from diagnosis.extensions import db
    from diagnosis.models import Assessment, Company, User, Zone

    app = create_app()
    with app.app_context(), app.test_request_context():
        if db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == DEMO_INVITE)) is None:
            t = time.perf_counter()
            seed(args.firms)
            print(f"seeded {args.firms} firms in {time.perf_counter() - t:.0f} s")
        zone = db.session.scalar(sa.select(Zone).where(Zone.invite_code == DEMO_INVITE))
        admin = db.session.scalar(sa.select(User).where(User.zone_id == zone.id, User.role == "zone_admin",
                                                        User.area_id.is_(None), User.active.is_(True)))
        rows = sum(db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0 for t in db.metadata.sorted_tables)
        print(f"database: {db.engine.dialect.name}; {rows} rows in {len(db.metadata.sorted_tables)} tables")
        for mode in ("anonymise", "delete"):
            zone.closure_mode = mode
            db.session.commit()
            times = []
            for _ in range(args.closures):
                firm = db.session.scalar(
                    sa.select(User).join(Company, Company.id == User.company_id)
                    .where(User.role == "enterprise", User.active.is_(True), Company.zone_id == zone.id,
                           User.email.not_like("%.invalid"),
                           Company.id.in_(sa.select(Assessment.company_id).where(Assessment.status == "submitted")))
                    .order_by(User.id).limit(1))
                if firm is None:
                    print("no firm with a submitted assessment left")
                    break
                secrets = (firm.company.name, firm.company.uscc, firm.email)
                request = privacy.request_closure(firm, "benchmark")
                t = time.perf_counter()
                privacy.confirm(admin, request.id, True)
                times.append(time.perf_counter() - t)
                leftover = [s for s in secrets if db.session.scalar(sa.select(sa.func.count()).select_from(Company)
                                                                    .where(sa.or_(Company.name == s, Company.uscc == s)))
                            or db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == s))]
                assert not leftover, leftover
                admin = db.session.get(User, admin.id)
                zone = db.session.get(Zone, zone.id)
            if times:
                print(f"{mode:9s}: confirm median {statistics.median(times):.2f} s, slowest {max(times):.2f} s "
                      f"over {len(times)} firms")


if __name__ == "__main__":
    main()
