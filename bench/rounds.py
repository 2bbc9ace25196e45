# SPDX-License-Identifier: BSD-3-Clause
"""What the cell benchmarks (capture_cost.py, mirror_cost.py) share: cells run interleaved
round by round in one run (timings here swing up to 3x between runs, so only cells of one
run are compared), their rows in results.csv, and per-cell medians."""
import csv
import json
import statistics


def run_interleaved(name, cells, rounds, run_cell):
    """run_cell(cell, round) -> row (a dict) for every cell of every round, round by round;
    each row gets its "round" and is printed as it comes."""
    rows = []
    for r in range(1, rounds + 1):
        for cell in cells:
            print(f"{name}: round {r}: {cell}", flush=True)
            row = run_cell(cell, r)
            row["round"] = r
            print(f"{name}: {json.dumps(row)}", flush=True)
            rows.append(row)
    return rows


def write_csv(path, keys, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def med(rows, cell, key):
    """The median of key over cell's rows that have it (NaN if none)."""
    v = [r[key] for r in rows if r["cell"] == cell and key in r]
    return statistics.median(v) if v else float("nan")
