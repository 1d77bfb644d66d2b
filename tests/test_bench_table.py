"""The benchmark table says how busy the machine was around each scenario."""

import argparse
import os

from bench.run import load_label, render
from bench.scenarios import Row


def test_load_label_marks_a_busy_machine():
    cpus = os.cpu_count() or 1
    assert load_label(0.5, 0.75) == "0.5 → 0.8"
    assert load_label(0.5, cpus + 1.0) == f"0.5 → {cpus + 1.0:.1f} **busy**"


def test_the_table_has_a_load_column_for_every_row():
    rows = [Row("d", "Reminder sweep", value="900 SMS/s", met=True, load="1.0 → 2.5")]
    table = render(rows, argparse.Namespace(year=2026, runs=3), "`party_bench`: 12,000 members", 60.0)
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("|  | Scenario"))
    assert header.endswith("| Load before → after |")
    assert "| d | Reminder sweep | 900 SMS/s | — | — | — | — | met | 1.0 → 2.5 |" in lines
    assert "1-minute load average just before and just after each scenario" in table
