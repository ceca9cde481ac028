"""Shared helpers of the permission matrix and the adversarial corpus (issue #6):
a fingerprint of everything a request could change, the data a form would
post as it stands, and the corpus of hostile inputs built from families."""

import unicodedata
from datetime import date, datetime

from django import forms

from customers.models import Assignment, AwayMark, Call, Customer, CustomerVisitor, RotationQueue
from reception.models import Handover, Incident, LostItem
from visitors.models import Amendment, AuditEvent, Invitation, Visit, VisitEvent, Visitor

# --- what a refused request must leave alone ------------------------------------

COUNTED = [
    Visit,
    VisitEvent,
    AuditEvent,
    Amendment,
    Handover,
    LostItem,
    Incident,
    Invitation,
    Visitor,
    Customer,
    CustomerVisitor,
    Assignment,
    AwayMark,
    Call,
]
SNAPSHOT = [Visit, Visitor, Handover, LostItem, Incident, Customer, Assignment, AwayMark, RotationQueue]


def fingerprint() -> dict:
    """Row counts of every table a desk action writes, and the full rows of the
    ones an action changes in place (a check-out, an erasure, a return)."""
    state = {model._meta.label: model.objects.count() for model in COUNTED}
    for model in SNAPSHOT:
        state[f"{model._meta.label} rows"] = list(model.objects.order_by("pk").values())
    return state


def form_data(form: forms.Form) -> dict:
    """What a browser would post for an unbound form as it is shown: every
    field's initial value, checkboxes only when ticked."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(value, datetime):
            data[name] = value.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


# --- the corpus ------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def _lengths(limits: tuple[int, ...]) -> list[str]:
    out = []
    for limit in limits:
        out += ["x" * (limit + 1), "长" * (limit + 1), "😀" * (limit + 1), "a" * (limit * 10), "ß" * (limit + 1)]
    out += ["y" * 100_000]
    return out


def families(limits: tuple[int, ...] = (12, 40, 64, 120, 200, 300, 1000, 4000)) -> dict[str, list[str]]:
    """Hostile inputs by family. `limits` are the max_length values of the
    app's text fields, so each gets inputs just over and far over it."""
    bidi = [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
    ]
    zero_width = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180e"]
    emoji = [
        "😀",
        "👨‍👩‍👧‍👦",
        "🏳️‍🌈",
        "👩🏽‍💻",
        "🇨🇳",
        "🧑‍🤝‍🧑",
        "\U0001f9d1\u200d\U0001f680",
        "𝕳𝖊𝖑𝖑𝖔",
        "\U00020000\U0002a6d6",
        "\U0010fffd",
        "🤦🏼‍♂️",
        "😀" * 39,
    ]
    sql = [
        "' OR '1'='1",
        "' OR 1=1 --",
        "Robert'); DROP TABLE visitors_visit;--",
        "1; DELETE FROM visitors_auditevent",
        "admin'--",
        '" OR ""="',
        "1' UNION SELECT username, password FROM auth_user--",
        "%",
        "%%",
        "_",
        "\\",
        "\\'",
        "'; SELECT pg_sleep(5);--",
        "1)) OR ((1=1",
        "'||(SELECT version())||'",
        "$$; DROP TABLE x; $$",
        "/* comment */ SELECT 1",
        "\\x00",
        "E'\\x41'",
        "`rm -rf /`",
    ]
    html = [
        SCRIPT,
        '"><img src=x onerror=alert(1)>',
        "{{ 7*7 }}",
        "{% debug %}",
        "{% load static %}{% static 'x' %}",
        "{{ request.user.password }}",
        "${7*7}",
        "#{7*7}",
        "<svg onload=alert(1)>",
        "javascript:alert(1)",
        "<a href='javascript:alert(1)'>x</a>",
        "</textarea><script>alert(1)</script>",
        "</title><script>alert(1)</script>",
        "'\"><script>alert(1)</script>",
        "<iframe src=//evil.example>",
        "<!--",
        "]]>",
        "&lt;script&gt;",
        "&#x3C;script&#x3E;",
        "<ScRiPt>alert(1)</sCrIpT>",
        "<body onload=alert(1)>",
        "<math><mtext><script>alert(1)</script>",
        "{{ '<script>alert(1)</script>'|safe }}",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ]
    csv = [
        "=1+1",
        '=HYPERLINK("http://evil.example","x")',
        "+1-2",
        "-2+3",
        "@SUM(A1:A2)",
        "=cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "＝1+1",
        "=",
        "+86 138 0013 8000",
        "-",
    ]
    normalisation = [
        "e\u0301",
        "é",
        "Å",
        "Å",
        "ﬁ",
        "Ｆｕｌｌｗｉｄｔｈ",
        "ǅ",
        "İstanbul",
        "straße",
        "Ω",
        "K",
        "\u0041\u030a\u0301\u0327" * 5,
        "Z\u0351\u0354\u0357\u0358\u035b\u0360" * 10,
        unicodedata.normalize("NFD", "Zoë Łukasz Ångström"),
        unicodedata.normalize("NFKC", "ｶﾀｶﾅ"),
        "ｶﾀｶﾅ",
        "\u3000",
        "Ⅻ",
        "①②③",
        "٠١٢٣٤٥٦٧٨٩",
        "१२३",
        "𝟏𝟐𝟑",
    ]
    digits = ["1" * n for n in (20, 41, 65, 121, 400, 5000)] + [
        "9" * 30,
        "-" + "9" * 30,
        "0" * 50,
        "1e309",
        "NaN",
        "Infinity",
        "-0",
        "0x1F",
        "1_000",
        "١٢٣",
        "+" + "8" * 60,
    ]
    whitespace = [
        "",
        " ",
        "   ",
        "\t",
        "\n",
        "\r\n",
        "\u00a0",
        "\u3000",
        "\u2028",
        "\u2029",
        "\u200b",
        " \t \n ",
        "\u00a0\u00a0",
        "\u1680",
        "\u2003\u2003",
        "\ufeff",
    ]
    newlines = [
        "line\r\nInjected-Header: yes",
        "a\rb",
        "a\nb",
        "\r",
        "\n\n\n",
        "x\r\n\r\n<script>alert(1)</script>",
        "a\u2028b",
        "a\u0085b",
        "a\x0bb",
        "a\x0cb",
        "%0d%0aSet-Cookie: x=1",
    ]
    # What a chat robot would render as a link, an image or formatting, and
    # what a plain-text message would show as an HTML entity (issue #15).
    markdown = [
        "[Verify your badge](http://evil.example/login)",
        "![pixel](http://evil.example/p.png)",
        "[x][1] [1]: http://evil.example",
        "<http://evil.example>",
        '<a href="http://evil.example">x</a>',
        '<font color="warning">URGENT</font>',
        "[x](javascript:alert(1))",
        "\\[escaped\\](http://evil.example)",
        "**boss** __x__ ~~y~~ `code`",
        "# Heading > quote | a | b |",
        'O\'Brien & Söhne <GmbH> "Ltd"',
        "&amp; &lt;b&gt; &#91;x&#93;(http://evil.example)",
    ]
    nul = ["\x00", "a\x00b", "\x00" * 10, "Maria\x00Rossi", "\x00<script>", "x" * 50 + "\x00"]
    controls = [chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r"] + ["a\x7fb", "\x1b[31mred", "\x08\x08"]
    surrogate_like = [
        "\\ud800",
        "\\udfff",
        "\\u0000",
        "&#xD800;",
        "&#0;",
        "%00",
        "%u0000",
        "\\x00",
        "\ufffd",
        "\ufffe",
        "\uffff",
        "\U0001ffff",
        "\\U0010FFFF",
        "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "\x80\x81",
    ]
    # Dates and times at and past the ends of what Python, PostgreSQL and a
    # site's clock hold, and malformed ones (issue #15): year 1 was stored on
    # PostgreSQL and then broke every page that read it back.
    dates = [
        "0001-01-01T00:00",
        "0001-01-01",
        "9999-12-31T23:59",
        "9999-12-31",
        "1999-12-31T23:59",
        "2100-01-01T00:00",
        "2100-01-01",
        "1970-01-01T00:00",
        "2038-01-19T03:14",
        "10000-01-01T00:00",
        "-0001-01-01T00:00",
        "0000-00-00T00:00",
        "2026-02-30T10:00",
        "2026-13-01",
        "2026-11-26T24:00",
        "2026-11-26T10:00+99:00",
        "2026-11-26T10:00Z",
        "+275760-09-13T00:00",
        "1e9",
        "2026-11-26T10:00\x00",
    ]
    mixed_bidi = []
    for char in bidi:
        mixed_bidi += [char, f"Zhang{char}Wei", f"{char}gnp.exe", f"Kenji {char}Tanaka"]
    for char in zero_width:
        mixed_bidi += [char, f"adm{char}in"]
    # Payloads rarely come bare: the same attacks inside a plausible name or
    # company, and across families (a NUL inside markup, a bidi override
    # before a formula), which is where a validator that checks only the
    # first character or only whole values gives way.
    combined = []
    for payload in html + sql + csv:
        combined += [f"Kenji {payload}", f"{payload} 有限公司", payload.upper(), f"{payload}\r\nX-Injected: 1"]
    for payload in html[:6] + sql[:6]:
        combined += [f"\u202e{payload}", f"{payload}\x00", f"😀{payload}👨‍👩‍👧", f"  {payload}  "]
    for limit in limits:
        combined.append((SCRIPT * (limit // len(SCRIPT) + 2))[: limit + 1])
    return {
        "combined": combined,
        "nul": nul,
        "controls": controls,
        "overlong": _lengths(limits),
        "bidi": mixed_bidi,
        "emoji": emoji + [f"{e} Tanaka" for e in emoji[:8]],
        "sql": sql,
        "html": html + [f"Kenji {h}" for h in html[:10]],
        "markdown": markdown,
        "csv": csv,
        "normalisation": normalisation,
        "digits": digits,
        "whitespace": whitespace,
        "newlines": newlines,
        "surrogate_like": surrogate_like,
        "dates": dates,
    }


def corpus() -> list[str]:
    """Every family's inputs, each once, in a stable order."""
    seen: dict[str, None] = {}
    for values in families().values():
        for value in values:
            seen.setdefault(value, None)
    return list(seen)
