"""Every interface string has a Simplified Chinese translation, and the .mo is current."""

import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

PO = "locale/zh_Hans/LC_MESSAGES/django.po"


def _need_gettext():
    if shutil.which("msgfmt") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (msgfmt) is missing")
        pytest.skip("GNU gettext is not installed")


def _statistics(po_path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr.strip()


def test_catalogue_covers_every_string_in_the_code(tmp_path):
    _need_gettext()
    copy = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", "staticfiles", ".git", "node_modules", "__pycache__"),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--ignore",
            ".venv/*",
            "--ignore",
            "var/*",
            "--ignore",
            "staticfiles/*",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    stats = _statistics(copy / PO)
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    _need_gettext()
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(settings.BASE_DIR / PO)], check=True)
    committed = (settings.BASE_DIR / PO).with_suffix(".mo").read_bytes()
    assert compiled.read_bytes() == committed, "run `make messages` and commit the .mo"
