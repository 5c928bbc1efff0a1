"""Both catalogues ship complete and compiled, and pages really render in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parent.parent / "locale"
FIX = (
    "run scripts/i18n.sh (makemessages), translate the entries, then run it again (compilemessages)"
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


def test_it_translates_every_string_into_chinese():
    po = _catalogue("zh_Hans")
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated zh-Hans strings ({FIX}): {untranslated}"
    assert not fuzzy, f"fuzzy zh-Hans strings ({FIX}): {fuzzy}"


def test_it_keeps_placeholders_intact_in_translations():
    broken = []
    for entry in _catalogue("zh_Hans").translated_entries():
        # Chinese has one plural form: msgstr[0] stands for every count, so it carries the
        # plural's placeholders (msgfmt refuses a plural msgstr without the count's).
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        strings = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        broken += [entry.msgid for s in strings if sorted(PLACEHOLDER.findall(s)) != wanted]
    assert not broken, f"placeholders differ between msgid and msgstr: {broken}"


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_it_ships_compiled_catalogues_that_match_the_sources(lang):
    po = _catalogue(lang)
    mo_path = LOCALE / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.exists(), f"{mo_path} is missing ({FIX})"
    mo = polib.mofile(str(mo_path))
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo
    }
    stale = [
        e.msgid
        for e in po.translated_entries()
        if compiled.get((e.msgctxt, e.msgid)) != (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
    ]
    assert not stale, f"{mo_path.name} is out of date ({FIX}): {stale[:10]}"


@pytest.mark.django_db
def test_it_renders_pages_in_chinese_when_asked():
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "跳到正文" in page
    assert "登录 Zcheap Studio" in page
    english = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Skip to content" in english


GETTEXT_ALIAS = re.compile(r"import\s+(n?p?gettext\w*)\s+as\s+(\w+)")


def test_translation_functions_keep_names_makemessages_recognises():
    """makemessages finds `_(...)` and `gettext_lazy(...)`, but not `_l(...)` or other aliases:
    strings behind those would stay English in every language without any test noticing."""
    root = LOCALE.parent
    hidden = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in {".venv", "tests", "bench", "data"} or "migrations" in parts:
            continue
        for function, alias in GETTEXT_ALIAS.findall(path.read_text(encoding="utf-8")):
            if alias != "_":
                hidden.append(f"{path.relative_to(root)}: {function} as {alias}")
    assert not hidden, f"use `_` or the function's own name: {hidden}"


def test_djangos_reworded_password_message_is_chinese_too():
    from django.contrib.auth.password_validation import MinimumLengthValidator
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        MinimumLengthValidator(8).validate("short")
    assert info.value.messages == ["密码太短，至少需要 8 个字符。"]


@pytest.mark.django_db
def test_login_and_password_pages_speak_like_the_rest_of_the_app_in_chinese():
    for url in ("/accounts/login/", "/accounts/password/reset/"):
        page = Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "邮箱" in page and "您" not in page and "电子邮件" not in page


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Run makemessages on a copy of the catalogues: nothing may be new (a string added to the
    code without running scripts/i18n.sh would otherwise ship in English only)."""
    import os
    import shutil
    import subprocess
    import sys

    if not shutil.which("xgettext"):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(
                "CI=true but gettext (xgettext) is missing: python3 dev.py test installs it"
            )
        pytest.skip("gettext (xgettext) is not installed")
    root = LOCALE.parent
    copy = tmp_path / "project"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(".venv", "data", ".git", "node_modules", "*.sqlite3*"),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--ignore=.venv",
            "--ignore=data",
            "--ignore=tests",
            "--ignore=bench",
            "--no-obsolete",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "ZCHEAP_DATA_DIR": str(tmp_path / "data")},
    )
    shipped = {(e.msgctxt, e.msgid) for e in _catalogue("zh_Hans")}
    extracted = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    new = sorted(e.msgid for e in extracted if (e.msgctxt, e.msgid) not in shipped)
    assert not new, f"strings missing from the catalogue ({FIX}): {new}"
    marked = {(e.msgctxt, e.msgid) for e in extracted}
    gone = sorted(msgid for ctxt, msgid in shipped - marked if msgid)
    assert not gone, (
        "strings in the catalogue that the code no longer marks: the next scripts/i18n.sh drops "
        "their translations. If the code still shows them (e.g. gettext(variable)), mark them "
        f"with gettext_noop(...) where they are written: {gone}"
    )
