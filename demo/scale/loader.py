"""Bulk loading: COPY on PostgreSQL, bulk_create elsewhere."""

import io
import time

from django.db import connection

from demo.scale.common import BULK_BATCH, COPY_CHUNK

# --- loading rows ----------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value.__class__ is str:
        return value.translate(_COPY_ESCAPES)
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)  # int, Decimal, date, aware datetime ("… 14:00:00+08:00"), UUID


class _Loader:
    """Write rows fast, COPY on PostgreSQL and bulk_create elsewhere, and time each table."""

    def __init__(self, say):
        self.say = say
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self.timings: list[tuple[str, int | None, float]] = []
        self.tables: list[str] = []

    def load(self, model, fields: list[str], rows) -> int:
        """Write *rows* (tuples in the order of *fields*, attribute names) into *model*'s table."""
        return self.load_many({model: fields}, ((model, row) for row in rows))[model]

    def load_many(self, fields_by_model: dict, tagged_rows) -> dict:
        """Write (model, row) pairs into several tables at once, e.g. notes with their versions."""
        started = time.perf_counter()
        buffers = {model: [] for model in fields_by_model}
        written = dict.fromkeys(fields_by_model, 0)
        for model, row in tagged_rows:
            buffer = buffers[model]
            buffer.append(row)
            if len(buffer) >= COPY_CHUNK:
                self._write(model, fields_by_model[model], buffer)
                written[model] += len(buffer)
                buffer.clear()
        for model, buffer in buffers.items():
            if buffer:
                self._write(model, fields_by_model[model], buffer)
                written[model] += len(buffer)
        elapsed = time.perf_counter() - started
        for model, count in written.items():
            table = model._meta.db_table
            self.tables.append(table)
            self.counts[table] = self.counts.get(table, 0) + count
        if len(written) == 1:
            label = next(iter(written))._meta.db_table
        else:
            label = " + ".join(f"{model._meta.db_table}（{count:,}）" for model, count in written.items())
        self.record(label, sum(written.values()), elapsed)
        return written

    def _write(self, model, fields, rows) -> None:
        if not self.postgres:
            objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
            model.objects.bulk_create(objects, batch_size=BULK_BATCH)
            return
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        data = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, io.StringIO(data))
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(data)

    def timed(self, label, work, *, rows):
        started = time.perf_counter()
        result = work()
        self.record(label, rows, time.perf_counter() - started)
        return result

    def record(self, label: str, rows: int | None, seconds: float) -> None:
        self.timings.append((label, rows, seconds))
        count = "" if rows is None else f"{rows:,} 行，"
        self.say(f"  {label}：{count}{seconds:.1f} 秒")

    def table(self, total: float) -> str:
        """The timings as a table; CJK characters take two columns in a terminal."""
        rows = [("步骤", "行数", "秒")]
        rows += [(label, "" if n is None else f"{n:,}", f"{s:.1f}") for label, n, s in self.timings]
        rows.append(("合计（写入行数 / 总耗时）", f"{sum(self.counts.values()):,}", f"{total:.1f}"))
        width = max(_width(label) for label, _n, _s in rows)
        return "\n".join(f"{label}{' ' * (width - _width(label))} {n:>12} {s:>8}" for label, n, s in rows)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
