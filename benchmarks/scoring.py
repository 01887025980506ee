"""Time batch scoring against a per-firm loop, side by side in one run.

    .venv/bin/python benchmarks/scoring.py [--n 100000] [--loop-n 2000] [--instrument ID]

Prints, per instrument: encoding and scoring times of the batch path for n
synthetic assessments, the per-firm loop's time (measured on --loop-n firms
and scaled to n unless --loop-n equals n), and the ratio. Timings are the best
of --repeat runs.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# This file is named like the package it measures; keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

import questionnaires  # noqa: E402
import scoring  # noqa: E402
from questionnaires.synthetic import answer_sets  # noqa: E402


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--loop-n", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--instrument", action="append", help="default: every shipped instrument")
    args = ap.parse_args()

    ids = args.instrument or ["smart-manufacturing", "sme-digital", "cloud-adoption"]
    print(f"{'instrument':<22}{'n':>8}{'encode s':>10}{'score s':>10}{'batch s':>10}{'loop s':>10}{'loop/batch':>12}")
    for instrument_id in ids:
        inst = questionnaires.get(instrument_id)
        sets = answer_sets(inst, args.n, np.random.default_rng(42))
        enc = scoring.encode(inst, sets)
        t_encode = best_of(args.repeat, lambda inst=inst, sets=sets: scoring.encode(inst, sets))
        t_score = best_of(args.repeat, lambda inst=inst, enc=enc: scoring.score_batch(inst, enc))
        sample = sets[: args.loop_n]
        t_loop_sample = best_of(1, lambda inst=inst, sample=sample: [scoring.score(inst, a) for a in sample])
        t_loop = t_loop_sample * args.n / len(sample)
        t_batch = t_encode + t_score
        scaled = "" if len(sample) == args.n else f"  (loop timed on {len(sample)}, scaled)"
        print(f"{instrument_id:<22}{args.n:>8}{t_encode:>10.3f}{t_score:>10.3f}{t_batch:>10.3f}{t_loop:>10.1f}"
              f"{t_loop / t_batch:>11.0f}x{scaled}")


if __name__ == "__main__":
    main()
