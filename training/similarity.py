"""Find copied notes: a bottom-k sketch of each note's character shingles, matched through an index.

Comparing a new note with every other note would be a scan of the whole
table; instead each submitted note stores its SKETCH_SIZE smallest shingle
hashes, and candidates are the notes sharing many of them (one indexed
query). The best candidate is then compared exactly.
"""

import difflib
import hashlib
import re

SHINGLE = 4
SKETCH_SIZE = 32
CANDIDATE_SHARE = 0.4  # of the sketch shared before an exact comparison
FLAG_AT = 70  # percent similarity flagged to the reviewer
MIN_LENGTH = 20
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Drop white space, punctuation and Markdown marks; compare the words only."""
    return _NOISE.sub("", (text or "").lower())


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big", signed=True)


def sketch(text: str) -> list[int]:
    """Return the smallest SKETCH_SIZE shingle hashes of *text* (empty for very short texts)."""
    clean = normalise(text)
    if len(clean) < MIN_LENGTH:
        return []
    hashes = {_hash(clean[i : i + SHINGLE]) for i in range(len(clean) - SHINGLE + 1)}
    return sorted(hashes)[:SKETCH_SIZE]


def similarity_percent(a: str, b: str) -> int:
    """Return how much of the two texts is the same, 0–100, after normalising."""
    left, right = normalise(a)[:6000], normalise(b)[:6000]
    if not left or not right:
        return 0
    return round(difflib.SequenceMatcher(None, left, right, autojunk=False).ratio() * 100)
