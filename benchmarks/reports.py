"""Time PDF reports: WeasyPrint against headless Chromium printing the same HTML.

    .venv/bin/python benchmarks/reports.py [--runs 20] [--batch 200]

Prints median and p95 seconds per firm report (with peers, progress, comments and the path to
the next level) rendered by WeasyPrint (no cache),
the same HTML printed by Debian's Chromium (each run starts a browser, so an empty
page is timed too and its time subtracted as startup), the ratio, and how many
reports a minute one process renders in a batch.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# benchmarks/scoring.py would shadow the scoring package: keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

import questionnaires  # noqa: E402
import scoring  # noqa: E402
from questionnaires.synthetic import answer_sets  # noqa: E402
from reports import firm_report_html  # noqa: E402
from reports.render import ASSETS, html_to_pdf  # noqa: E402
from scoring.benchmark import Firm, Population, benchmark  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer"]


COMMENTS = ("贵企业生产设备联网基础较好，建议先把质量数据接入MES，形成从来料到出厂的追溯。\n\n"
            "其次，采购与仓储仍以表格管理为主，可在半年内上线轻量化的进销存系统。")


def firm_htmls(n: int, instrument_id: str = "sme-digital") -> list[str]:
    """Whole reports as a firm gets them: peers (the other firms of the batch), progress against a
    previous assessment, a consultant's comments, the path to the next level and the answers."""
    inst = questionnaires.get(instrument_id)
    sets = answer_sets(inst, n, np.random.default_rng(7))
    batch = scoring.score_batch(inst, sets)
    before = scoring.score_batch(inst, answer_sets(inst, n, np.random.default_rng(8)))
    pop = Population(np.arange(n), np.array(["34"] * n), np.array(["small"] * n), np.ones(n, int), batch.total,
                     batch.dim_percent, batch.ind_percent, [d.id for d in inst.dimensions],
                     [i.id for d in inst.dimensions for i in d.indicators])
    company = {"name": "示范精密机械有限公司", "uscc": "91320214000012HJ10", "industry_division": "34",
               "size_class": "small", "zone": "示范高新技术产业开发区"}
    out = []
    for i in range(n):
        result = batch.result(i).to_dict()
        result["benchmark"] = benchmark(pop, Firm("34", "small", 1, exclude_id=i), result["total"],
                                        {d: v["percent"] for d, v in result["dimensions"].items()})
        prev = before.result(i).to_dict()
        out.append(firm_report_html(inst, result, {**company, "name": f"示范企业{i:03d}有限公司"}, "zh", answers=sets[i],
                                    consultant="李顾问", comments=COMMENTS, report_no=f"20261123-{i:05d}",
                                    previous={"date": "2026-05-20", "level": prev["level"], "dimensions": prev["dimensions"]}))
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def chromium_print(html_path: Path, out: Path, binary: str) -> float:
    t = time.perf_counter()
    subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={out.parent / 'profile'}", f"--print-to-pdf={out}",
                    html_path.as_uri()], check=True, capture_output=True, timeout=120)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--queue-workers", type=int, default=1)
    args = ap.parse_args()

    htmls = firm_htmls(max(args.runs, args.batch))
    html_to_pdf(htmls[0])  # warm up fonts and caches, as a running server is
    times, cpu = [], []
    for html in htmls[: args.runs]:
        t, c = time.perf_counter(), time.process_time()
        html_to_pdf(html)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    wp_median, wp_p95 = statistics.median(times), pct(times, 95)
    # CPU time beside wall time: on a shared machine the wall time mostly measures the neighbours.
    print(f"WeasyPrint firm report:   median {wp_median:.3f} s   p95 {wp_p95:.3f} s   "
          f"(CPU median {statistics.median(cpu):.3f} s; {args.runs} runs)")

    binary = shutil.which("chromium")
    if binary is None:
        print("Chromium baseline: skipped (chromium is not installed)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            shutil.copy(ASSETS / "report.css", tmp / "report.css")
            blank = tmp / "blank.html"
            blank.write_text("<html><body></body></html>", encoding="utf-8")
            page = tmp / "report.html"
            chrome, startup = [], []
            for html in htmls[: min(args.runs, 10)]:
                # WeasyPrint gets the stylesheet pre-parsed; Chromium reads it from a link.
                page.write_text(html.replace("<head>", '<head><link rel="stylesheet" href="report.css">', 1), encoding="utf-8")
                chrome.append(chromium_print(page, tmp / "report.pdf", binary))
                startup.append(chromium_print(blank, tmp / "blank.pdf", binary))
            c_median, s_median = statistics.median(chrome), statistics.median(startup)
            print(f"Chromium same HTML:       median {c_median:.3f} s   p95 {pct(chrome, 95):.3f} s   ({len(chrome)} runs, browser start included)")
            print(f"Chromium empty page:      median {s_median:.3f} s   (startup and print overhead)")
            print(f"Chromium minus startup:   median {c_median - s_median:.3f} s")
            print(f"Ratio WeasyPrint / Chromium: {wp_median / c_median:.2f} (whole command), "
                  f"{wp_median / max(c_median - s_median, 1e-3):.2f} (startup subtracted)")

    t = time.perf_counter()
    for html in htmls[: args.batch]:
        html_to_pdf(html)
    elapsed = time.perf_counter() - t
    print(f"Batch of {args.batch} in one process:   {elapsed:.1f} s, {60 * args.batch / elapsed:.0f} reports per minute")
    queued_batch(args.batch, args.queue_workers)


def queued_batch(n: int, workers: int) -> None:
    """The same batch through the real queue: a demo zone of n firms in a scratch database,
    a batch started as its administrator, and a consumer with worker processes."""
    import os
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
        os.environ["QUEUE_PATH"] = f"{tmp}/queue.sqlite"
        os.environ.pop("REDIS_URL", None)
        from flask_migrate import upgrade
        from huey.consumer import Consumer

        from diagnosis import create_app
        app = create_app({"REPORT_CACHE_DIR": f"{tmp}/cache"})  # a cold cache: every report is rendered
        # After the app, as a worker process has it.
        from diagnosis.batches import service
        from diagnosis.demo import DEMO_USERS, seed
        from diagnosis.extensions import db
        from diagnosis.models import ReportBatch, User
        from diagnosis.queue import huey
        with app.app_context():
            upgrade()
            seed(firms=n)
            admin = db.session.scalar(db.select(User).where(User.email == DEMO_USERS["zone_admin"]))
            db.engine.dispose()  # no SQLite connection may cross the fork into the worker processes
            consumer = Consumer(huey, workers=workers, worker_type="process", periodic=False, check_worker_health=False)
            consumer.start()
            t = time.perf_counter()
            batch = service.start(admin, {"instrument": "sme-digital"}, "zh")
            while True:
                db.session.expire_all()
                b = db.session.get(ReportBatch, batch.id)
                if b.status in ("done", "failed") or time.perf_counter() - t > 1800:
                    break
                time.sleep(1)
            elapsed = time.perf_counter() - t
            consumer.stop(graceful=True)
            print(f"Batch of {b.done} through the queue ({workers} worker processes, parts of "
                  f"{service.PART_SIZE} reports, {len(b.failures)} failed): "
                  f"{elapsed:.1f} s, {60 * b.done / elapsed:.0f} reports per minute")


if __name__ == "__main__":
    sys.exit(main())
