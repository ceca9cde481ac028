"""Pages of the visitor log at a million visits (issue #7)."""

from django.contrib.postgres.aggregates import ArrayAgg
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.functional import cached_property

# Counting stops past this many visits (or past the requested page, if that
# is further): the clerk is told "more than ..." and can still page on.
COUNT_CAP = 1000
# Far enough for any real paging; keeps a made-up page number inside LIMIT.
LAST_COUNTED_PAGE = 100_000


def pks(queryset) -> list:
    """The primary keys of `queryset`, in its order (a sliced one's in no
    particular order). On PostgreSQL they come back as one array: a search's
    thousands of ids cost the ORM more, row by row, than the database to find
    (issue #24)."""
    if connections[queryset.db].vendor != "postgresql":
        return list(queryset.values_list("pk", flat=True))
    ordering = queryset.query.order_by if not queryset.query.is_sliced else ()
    return queryset.aggregate(pks=ArrayAgg("pk", order_by=ordering))["pks"] or []


class LogPaginator(Paginator):
    """Pages of a queryset of visits in log order.

    The count stops at `window`: COUNT_CAP, or the end of the requested page
    if that is further, so the next page always exists; `capped` says it
    stopped there. `sample`, if given, is part of the visits and quick to
    count: when it alone passes the window, the whole is not counted. With
    `whole`, the visits are known to be few enough (a search that matched few
    visitors) to be counted exactly, however many.

    Visits known to be within the window, or `whole`, are sorted whole by the
    database; only more are read with LIMIT/OFFSET along the log's index
    (visit_site_day_idx), where matches are many and the walk ends soon.
    Either way a page's ids come first and its rows, with their people, are
    then read by primary key: from `rows` (the same visits in the same order,
    without the search's conditions) if given, else from the visits.
    """

    def __init__(self, visits, per_page: int, *, whole: bool = False, sample=None, rows=None):
        super().__init__(visits, per_page)
        self.whole = whole
        self.sample = sample
        self.rows = visits if rows is None else rows
        self.window = -(-COUNT_CAP // per_page) * per_page

    def get_page(self, number):
        try:
            wanted = min(max(int(number), 1), LAST_COUNTED_PAGE)
        except (TypeError, ValueError):
            wanted = 1
        self.window = max(self.window, wanted * self.per_page)
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:
            # Django's answer is the last page; while the count is capped the
            # last page is unknown, so the first one it is.
            number = 1 if self.capped else self.num_pages
        return self.page(number)

    @cached_property
    def count(self) -> int:
        if self.whole:
            return len(self._all_ids)
        limit = self.window + 1
        if self.sample is not None:
            counted = self.sample.order_by()[:limit].count()
            if counted == limit:
                return counted
        return self.object_list.order_by()[:limit].count()

    @property
    def capped(self) -> bool:
        return not self.whole and self.count > self.window

    @cached_property
    def _all_ids(self) -> list[int]:
        return pks(self.object_list)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if self.capped:
            on_page = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        else:
            on_page = self._all_ids[bottom:top]
        return self._get_page(self.rows.filter(pk__in=on_page), number, self)
