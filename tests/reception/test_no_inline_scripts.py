"""The content security policy allows only our own files (script-src and
style-src 'self'), so a template with inline code would break silently in the
browser. This fails first, naming the file and line.

Forbidden in every web template: <script> blocks without src (JSON data blocks
are allowed, the browser does not run them), on*= event handlers, hx-on
attributes (htmx evaluates them as code), javascript: URLs, <style> blocks and
style="…" attributes. Style attributes are forbidden rather than allowed with
style-src-attr 'unsafe-inline': a class in static/css does the same job and keeps
injected markup from restyling the page (e.g. hiding a warning).

HTML email templates (*/email/*) are exempt: mail clients apply no CSP, and
inline styles are how HTML email is styled.
"""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

TAG = re.compile(r"<(?P<name>[a-zA-Z][\w-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
ATTRIBUTE = re.compile(r"""(?:^|\s)(?P<name>[^\s=/>"']+)\s*(?:=\s*(?P<value>"[^"]*"|'[^']*'|[^\s>]+))?""")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|<!--.*?-->", re.S)


def without_comments(source: str) -> str:
    # Keep the line breaks so that line numbers still match the file.
    return COMMENT.sub(lambda match: "\n" * match[0].count("\n"), source)


def inline_code(source: str) -> list[tuple[int, str]]:
    """(line, what) for each piece of inline code in a template's source."""
    found = []
    source = without_comments(source)
    for tag in TAG.finditer(source):
        line = source.count("\n", 0, tag.start()) + 1
        name = tag["name"].lower()
        attributes = {
            match["name"].lower(): (match["value"] or "").strip("\"'") for match in ATTRIBUTE.finditer(tag["attrs"])
        }
        if name == "script" and "src" not in attributes and attributes.get("type") not in DATA_SCRIPT_TYPES:
            found.append((line, "inline <script> block"))
        if name == "style":
            found.append((line, "<style> block"))
        for attribute, value in attributes.items():
            if re.fullmatch(r"on[a-z]+", attribute) or attribute.startswith(("hx-on", "data-hx-on")):
                found.append((line, f"{attribute}= event handler"))
            elif attribute == "style":
                found.append((line, "style= attribute"))
            elif value.lower().lstrip().startswith("javascript:"):
                found.append((line, f"javascript: URL in {attribute}="))
    return found


def web_templates():
    return sorted(p for p in TEMPLATES.rglob("*.html") if "email" not in p.relative_to(TEMPLATES).parts)


def test_the_templates_are_found():
    names = {str(p.relative_to(TEMPLATES)) for p in web_templates()}

    assert {"base.html", "503.html", "registration/login.html", "registration/lockout.html"} <= names


@pytest.mark.parametrize("template", web_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_carries_inline_code(template):
    assert inline_code(template.read_text()) == []


def test_the_finder_spots_each_kind_of_inline_code():
    source = """<!doctype html>
<script>alert(1)</script>
<script src="{% static 'x.js' %}"></script>
<script type="application/json" id="data">{"a": 1}</script>
<button type="button" onclick="go()">{% translate "Go" %}</button>
<div class="a" hx-on:click="x()" hx-get="/desk/live/"></div>
<p style="color: red">late</p>
<a href="javascript:void(0)">x</a>
<style>p { color: red }</style>
<input value="one > two" onfocus='x()'>
{# a comment may say <script>alert(1)</script> #}<!-- or <p style="x"> -->
{% comment %}
<style>p {}</style>
{% endcomment %}<b onmouseover="x()">after the comments</b>"""

    assert inline_code(source) == [
        (2, "inline <script> block"),
        (5, "onclick= event handler"),
        (6, "hx-on:click= event handler"),
        (7, "style= attribute"),
        (8, "javascript: URL in href="),
        (9, "<style> block"),
        (10, "onfocus= event handler"),
        (14, "onmouseover= event handler"),
    ]


def test_the_finder_leaves_ordinary_markup_alone():
    source = """<a class="btn" href="{% url 'visitors:dashboard' %}" data-bs-toggle="collapse">Desk</a>
<form method="post" hx-post="/desk/register/" hx-target="#form">{% csrf_token %}</form>
<img src="data:image/png;base64,AAAA" alt="">
<p>Click on=the button; style="plain text" here is not an attribute.</p>"""

    assert inline_code(source) == []
