"""`page`/`limit` paging over a list already read in order (RULES.md: Lists)."""

from collections.abc import Sequence

DEFAULT_PAGE = 1
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def paginate[T](items: Sequence[T], page: int = DEFAULT_PAGE, limit: int = DEFAULT_LIMIT) -> list[T]:
    """The `page`-th slice of `limit` items (pages count from 1); past the end, an empty list."""
    if page < 1 or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"page must be >= 1 and limit within 1-{MAX_LIMIT}")
    start = (page - 1) * limit
    return list(items[start : start + limit])


def page_or_all[T](items: Sequence[T], page: int | None, limit: int | None) -> list[T]:
    """A page when one is asked for (`page` or `limit` given; the other takes its default), every
    item otherwise: the lists of one course or module, which the contract gives whole."""
    if page is None and limit is None:
        return list(items)
    return paginate(items, page or DEFAULT_PAGE, limit or DEFAULT_LIMIT)
