"""Recompute every figure of a year from the raw records and report differences with the ledger."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from training.services.reconcile import reconcile_figures


class Command(BaseCommand):
    help = "对账：按原始记录重新计算全年各项数据，逐项列出与台账不一致之处；--fix 修复。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="year (repeatable; default this and last year)")
        parser.add_argument("--fix", action="store_true", help="repair the differences through the ledger")
        parser.add_argument("--notify", action="store_true", help="notify leadership and administrators")

    def handle(self, *args, year=None, fix=False, notify=False, **options):
        this_year = timezone.localdate().year
        total = 0
        for one in year or [this_year - 1, this_year]:
            differences = reconcile_figures(one, fix=fix, notify=notify)
            for difference in differences:
                self.stdout.write(
                    f"{one}\t{difference.figure}\t{difference.scope}\t{difference.ledger}\t{difference.recomputed}"
                )
            self.stdout.write(f"{one}: {len(differences)} differences" + (" (repaired)" if fix and differences else ""))
            total += len(differences)
        if total and not fix:
            raise SystemExit(1)
