"""Bulk loading: COPY on PostgreSQL, bulk_create elsewhere."""

import io
import time
from contextlib import contextmanager

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

    @contextmanager
    def constraints_after(self, models):
        """Load *models*' tables without their foreign keys and secondary indexes, then build those again.

        Why: each COPYed row otherwise updates every index and queues one deferred
        check per foreign key, all run at COMMIT; at province scale (≈ 4 million
        attendance rows) that queue alone took longer than the load. Building an
        index once over the loaded table, and checking a foreign key with one join,
        is several times cheaper. The definitions are read from the catalogue, so
        what is built again is exactly what was dropped; it all happens inside the
        build's transaction, so a failed build leaves the schema as it was. Primary
        keys and unique constraints stay (other tables' keys may depend on them).
        """
        if not self.postgres:
            yield
            return
        tables = [model._meta.db_table for model in models]
        with connection.cursor() as cursor:
            # Rows written earlier in this transaction (a test's fixtures) must be
            # checked before their foreign keys can be dropped.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(_FOREIGN_KEYS, [tables])
            foreign_keys = cursor.fetchall()
            cursor.execute(_INDEXES, [tables])
            indexes = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {_quote(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")
        label = f"重建索引 {len(indexes)} 个、外键 {len(foreign_keys)} 个（含外键检查）"
        self.record(label, None, time.perf_counter() - started)

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


# Foreign keys declared on the tables, and their indexes that back no primary key or unique constraint.
_FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.contype = 'f' AND c.conrelid = ANY(ARRAY(SELECT to_regclass(t) FROM unnest(%s::text[]) t))
    ORDER BY 1, 2
"""
_INDEXES = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(ARRAY(SELECT to_regclass(t) FROM unnest(%s::text[]) t))
      AND NOT EXISTS (
          SELECT 1 FROM pg_constraint c
          WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
      )
    ORDER BY 1
"""


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
