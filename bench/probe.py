"""Questions the runner asks the database before measuring.

    python -m bench.probe terms SITE_SLUG [N]            # search terms that exist in the site's history
    python -m bench.probe export-rows SITE_SLUG FROM TO  # rows the log export should hold

Prints one JSON line.
"""

import json
import os
import random
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from reception.models import Site  # noqa: E402
from visitors.models import Visit  # noqa: E402


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


SHORT_TERMS = ["Li", "Wu", "Xu", "Hu", "He", "Lu", "Ma", "Yu", "Su", "Ye", "Du", "Qi"]


def terms(slug: str, count: int = 12, seed: int = 3) -> dict:
    """Fragments a clerk would type, each taken from a visitor the site has
    seen: five letters of a Latin surname, a Chinese name's first two
    characters, the last eight digits of a phone, the start of a company; and
    two-letter pinyin surnames ("Li", "Wu"), which trigram indexes cannot
    serve (issue #24)."""
    site = Site.objects.get(slug=slug)
    rng = random.Random(seed)
    last = Visit.objects.filter(site=site).order_by("-pk").values_list("pk", flat=True).first() or 0
    found = {"name_latin": [], "name_cjk": [], "phone": [], "company": []}

    def add(kind: str, term: str) -> None:
        if term and len(found[kind]) < count and term not in found[kind]:
            found[kind].append(term)

    for _ in range(count * 100):
        if all(len(terms) >= count for terms in found.values()):
            break
        visit = (
            Visit.objects.filter(site=site, pk__gte=rng.randint(1, max(last, 1)))
            .select_related("visitor")
            .order_by("pk")
            .first()
        )
        if visit is None:
            continue
        visitor = visit.visitor
        if _is_cjk(visitor.full_name):
            add("name_cjk", visitor.full_name[:2])
        else:
            add("name_latin", visitor.full_name.split()[-1][:5])
        if len(visitor.phone) >= 8:
            add("phone", visitor.phone.replace(" ", "")[-8:])
        company = visitor.company
        if company:
            add("company", company[:4] if _is_cjk(company) else company.split()[0][:6])
    found["name_short"] = SHORT_TERMS[:count]
    return found


def export_rows(slug: str, date_from: str, date_to: str) -> dict:
    """The rows the visitor log export should hold for the range, counted with
    the log's own filter form, so the benchmark checks the export is complete."""
    from visitors.forms import LogFilterForm

    site = Site.objects.get(slug=slug)
    form = LogFilterForm({"date_from": date_from, "date_to": date_to}, site=site)
    if not form.is_valid():
        raise SystemExit(f"bad range: {form.errors}")
    return {"rows": form.apply(Visit.objects.for_site(site), site=site).count()}


def main(argv: list[str]) -> None:
    if argv[:1] == ["terms"] and len(argv) in (2, 3):
        print(json.dumps(terms(argv[1], *(int(a) for a in argv[2:])), ensure_ascii=False))
    elif argv[:1] == ["export-rows"] and len(argv) == 4:
        print(json.dumps(export_rows(*argv[1:])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
