"""The Simplified Chinese catalogue (issue #3 point 7): every string marked for
translation has a Chinese translation that keeps its placeholders, the committed
django.mo says what the django.po says (a fresh machine needs no gettext), and
the pages a clerk or a visitor sees first read in Chinese."""

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = CATALOGUE / "django.po"
MO = CATALOGUE / "django.mo"

# What must survive translation: %(name)s / %s style arguments and HTML tags.
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]|<[^<>]+>")
# Latin words that may stay in a Chinese page: the product's name, a language's
# own name on the switch, and technical terms that are the same in Chinese.
LATIN_ALLOWED = {"Lobby", "English", "CSV", "JSON", "Webhook", "ID", "QR", "HMAC", "SHA"}


ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file as dicts: ctxt, id, plural, str (index -> text),
    flags. A small reader for the format makemessages writes; the header is
    the entry whose id is empty."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "id" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"ctxt": None, "plural": None, "str": {}, "flags": set(), "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if match:
            keyword, index, text = match.groups()
            field = {"msgctxt": "ctxt", "msgid": "id", "msgid_plural": "plural"}.get(keyword, int(index or 0))
            previous = ""
        else:
            assert line.startswith('"') and line.endswith('"'), f"{path}: cannot read {raw!r}"
            text = line[1:-1]
            previous = entry["str"][field] if isinstance(field, int) else entry[field]
        if isinstance(field, int):
            entry["str"][field] = previous + _unquote(text)
        else:
            entry[field] = previous + _unquote(text)
    finish()
    return entries


def messages() -> list[dict]:
    return [e for e in parse_po(PO) if e["id"] and not e["obsolete"]]


def header() -> dict:
    (head,) = [e for e in parse_po(PO) if e["id"] == ""]
    fields = dict(line.split(": ", 1) for line in head["str"][0].splitlines() if ": " in line)
    return {"flags": head["flags"], **fields}


# --- the catalogue itself ------------------------------------------------------------------


def test_the_catalogue_is_for_simplified_chinese_with_one_plural_form():
    fields = header()

    assert fields["Language"] == "zh_Hans"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in fields["Content-Type"]
    assert "fuzzy" not in fields["flags"]


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = messages()
    assert len(entries) > 500  # the reader read the whole catalogue

    untranslated = [e["id"] for e in entries if not e["str"] or not all(e["str"].values())]
    fuzzy = [e["id"] for e in entries if "fuzzy" in e["flags"]]
    one_form = [e["id"] for e in entries if e["plural"] is not None and sorted(e["str"]) != [0]]

    assert untranslated == []
    assert fuzzy == []
    assert one_form == []  # Chinese has a single plural form: msgstr[0] only


def test_every_translation_keeps_the_placeholders_and_the_outer_whitespace():
    wrong = []
    for entry in messages():
        source = entry["plural"] if entry["plural"] is not None else entry["id"]
        for text in entry["str"].values():
            if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(source)):
                wrong.append((source, text))
            elif (text[:1].isspace(), text[-1:].isspace()) != (source[:1].isspace(), source[-1:].isspace()):
                wrong.append((source, text))

    assert wrong == []


def test_the_translations_are_chinese():
    # An English msgstr copied over by mistake reads as "translated" to the checks above.
    latin_only = [
        e["id"]
        for e in messages()
        if not re.search(r"[\u4e00-\u9fff]", "".join(e["str"].values()))
        and not set(re.findall(r"[A-Za-z]+", PLACEHOLDER.sub("", "".join(e["str"].values())))) <= LATIN_ALLOWED
    ]

    assert latin_only == []


def test_the_committed_mo_says_what_the_po_says():
    with MO.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)

    stale = []
    for entry in messages():
        ctxt, msgid, plural = entry["ctxt"], entry["id"], entry["plural"]
        if plural is None:
            text = compiled.pgettext(ctxt, msgid) if ctxt else compiled.gettext(msgid)
        else:
            text = compiled.npgettext(ctxt, msgid, plural, 1) if ctxt else compiled.ngettext(msgid, plural, 1)
        got = {0: text}
        if got != entry["str"]:
            stale.append(entry["id"])

    assert stale == [], "run `make messages` (or compilemessages) and commit django.mo"
    # No message left in the .mo that the .po no longer has (the header is the "" key).
    keys = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog} - {""}
    assert len(keys) == len(messages())


def test_the_catalogue_holds_every_string_marked_in_the_code(tmp_path, monkeypatch, settings):
    """What makemessages would extract today is what the committed catalogue holds:
    a string added without `make messages` shows in English to a Chinese reader."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext is not installed: cannot extract the strings to compare (apt-get install gettext)")
    ignore = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "node_modules")
    for name in ("config", "reception", "visitors", "customers", "templates", "static"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)

    # The chat-robot message is a Markdown template (visitors/email/chat.md).
    call_command("makemessages", locale=["zh_Hans"], extensions=["html", "txt", "py", "md"], verbosity=0)

    extracted = {(e["ctxt"], e["id"]) for e in parse_po(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po") if e["id"]}
    committed = {(e["ctxt"], e["id"]) for e in messages()}
    assert sorted(extracted - committed) == [], "new strings: run `make messages` and translate them"
    assert sorted(committed - extracted) == [], "strings no longer used: run makemessages with --no-obsolete"


# --- pages in Chinese ------------------------------------------------------------------------


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def test_the_login_page_is_in_chinese(chinese, db):
    page = visible_text(chinese.get("/accounts/login/"))

    assert "登录前台" in page
    assert "为保护访客隐私" in page
    assert "Sign in" not in page and "privacy" not in page


def test_a_wrong_password_is_answered_in_chinese(chinese, clerk):
    page = visible_text(chinese.post("/accounts/login/", {"username": "clerk", "password": PASSWORD + "x"}))

    assert "Please enter a correct" not in page  # Django's own message, from Django's zh_Hans catalogue
    assert "请输入一个正确的" in page or "请输入正确的" in page


def test_the_desk_dashboard_is_in_chinese_by_day(chinese, clerk, daytime, rooms):
    chinese.force_login(clerk)

    page = visible_text(chinese.get("/desk/"))

    for heading in ("前台", "当前在场", "接待室", "今日预约", "最近离开", "登记临时来访", "退出登录"):
        assert heading in page, heading
    for english in ("On site now", "Expected today", "Recently left", "Register a walk-in", "Sign out", "Rooms"):
        assert english not in page, english


def test_the_kiosk_welcome_is_in_chinese(kiosk_client, daytime, lounge):
    kiosk_client.cookies["django_language"] = "zh-hans"

    page = visible_text(kiosk_client.get("/kiosk/"))

    for words in ("欢迎", "我有邀请", "我没有邀请", "我要离开"):
        assert words in page, words
    for english in ("Welcome", "I have an invitation", "I have no invitation", "I am leaving"):
        assert english not in page, english


def test_the_kiosk_walk_in_form_is_in_chinese(kiosk_client, daytime, lounge):
    kiosk_client.cookies["django_language"] = "zh-hans"

    page = visible_text(kiosk_client.get("/kiosk/walk-in/"))

    for words in ("登记来访", "您的姓名", "您要拜访谁？", "我已阅读并同意隐私声明。"):
        assert words in page, words
    for english in ("Register your visit", "Your full name", "Who are you visiting?"):
        assert english not in page, english


def _translation(msgid: str) -> str:
    (entry,) = [e for e in messages() if e["id"] == msgid and e["ctxt"] is None]
    return entry["str"][0]


def test_the_incident_register_names_its_columns_rightly():
    # These three were shifted by one (issue #16 item 13).
    assert _translation("reported by") == "报告人"
    assert _translation("reported at") == "报告时间"
    assert _translation("follow-up") == "后续跟进"


def test_the_desk_uses_one_word_for_each_thing():
    """The host is 接待人 (承办部门 is their department), an escalation is 上报,
    a visitor checks in (签到) and out (签离); 登录 is a staff account's."""
    texts = ["".join(e["str"].values()) for e in messages()]

    assert not [text for text in texts if "承办人" in text]
    assert not [text for text in texts if "升级" in text]
    assert _translation("Host") == "接待人" and _translation("Your host") == "您的接待人"
    assert _translation("Check in") == "签到" and _translation("Check out") == "签离"
    assert _translation("Sign in") == "登录"


def test_a_visitor_checks_in_at_the_kiosk_rather_than_logging_in(kiosk_client, daytime, lounge):
    kiosk_client.cookies["django_language"] = "zh-hans"

    html = kiosk_client.get("/kiosk/walk-in/").content.decode()

    assert re.search(r'<button type="submit"[^>]*>签到</button>', html)
    assert "登录" not in visible_text(kiosk_client.get("/kiosk/walk-in/"))
