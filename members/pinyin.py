"""Pinyin search columns, so that `zs` or `zhangsan` finds 张三."""

from pypinyin import Style, lazy_pinyin


def name_index(name: str) -> tuple[str, str]:
    """Return (full pinyin, initials) of *name*, lower case and without spaces."""
    syllables = lazy_pinyin(name, errors="ignore")
    initials = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(syllables).lower()[:200], "".join(initials).lower()[:50]
