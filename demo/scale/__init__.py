"""Large seeded data sets for benchmarks: ``seed_demo --scale city`` and ``--scale province``.

city is a fictional municipal transport bureau (青岚市交通运输局): its Party group, the
bureau's Party committee, 20 general branches of 20 branches each (400 branches), 30
members a branch (12,000), two years of lessons (the previous and the current calendar
year, about 19,000), about 400,000 attendance rows, 150,000 study notes, 50,000 online
study records, assignments with their targets, make-up study for missed lessons and a
study plan per branch and year; then the year-end indicators of both years. province
(青川省交通运输厅) is ten times city and is built only on request.

How it stays fast:

- Every row gets an explicit id, allocated above the table's largest id, so foreign keys
  are known in Python without reading anything back. The sequences are reset afterwards
  (what ``sqlsequencereset`` prints).
- PostgreSQL receives the rows through COPY in chunks. Other databases get bulk_create in
  batches, which is slow but enough for small trials.
- Model ``save()`` never runs, so this module fills the columns it would derive: the pinyin
  search columns of Member, computed once per distinct name.
- Study notes get **no NoteFingerprint rows**. Hashing the shingles of 150,000 notes would
  take most of the build, so the copy check only sees notes written after it.
- Attendance is a sample of each held lesson's audience: about 22 members of the branch
  (every committee member for a committee meeting), plus 10 of the co-host's members for a
  joint lesson. This keeps the table at the size the benchmark asks for.

The build is deterministic. Each part draws from its own random generator, seeded with
SEED, the scale and the part's name, so every run produces the same people (names, ID
numbers, phones) whatever the day. Only dates that follow today move with it: probationary
members' joining dates, and lesson and note statuses.

Running it again once the scale exists (its first organisation's code, e.g. ``city-0001``)
changes nothing.
"""
