import pytest

from shared.pagination import paginate

ITEMS = list(range(25))


@pytest.mark.parametrize(
    ("page", "limit", "expected"),
    [
        (1, 10, list(range(10))),
        (3, 10, list(range(20, 25))),
        (4, 10, []),
        (1, 100, ITEMS),
        (25, 1, [24]),
    ],
)
def test_paginate_returns_the_page_asked_for(page, limit, expected):
    assert paginate(ITEMS, page, limit) == expected


@pytest.mark.parametrize(("page", "limit"), [(0, 10), (1, 0), (1, 101), (-1, 5)])
def test_paginate_refuses_out_of_range_arguments(page, limit):
    with pytest.raises(ValueError, match="page must be"):
        paginate(ITEMS, page, limit)
