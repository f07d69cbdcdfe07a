"""extract.dates: the one Chinese date parser."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.dates import date_from_url, find_dates, parse_date

AS_OF = dt.date(2021, 12, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-06-29", dt.date(2021, 6, 29)),
        ("2021-6-9", dt.date(2021, 6, 9)),
        ("2021年6月29日", dt.date(2021, 6, 29)),
        ("2021年06月29日 09:24", dt.date(2021, 6, 29)),
        ("2021 年 6 月 29 日", dt.date(2021, 6, 29)),
        ("2021.06.29", dt.date(2021, 6, 29)),
        ("2021/6/29", dt.date(2021, 6, 29)),
        ("[2018-03-16]", dt.date(2018, 3, 16)),
        ("发布时间：2024-09-30 09:24", dt.date(2024, 9, 30)),
        ("发布日期：2017-05-15 10:49:00", dt.date(2017, 5, 15)),
        ("２０２１－０６－２９", dt.date(2021, 6, 29)),
        ("日期：２０２１年６月２９日", dt.date(2021, 6, 29)),
        ("2021-06-29 09:24", dt.date(2021, 6, 29)),
        ("标题文字 2021-06-29", dt.date(2021, 6, 29)),
    ],
)
def test_full_dates(text, expected):
    assert parse_date(text) == expected
    assert parse_date(text, as_of=AS_OF) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2021-02-30",
        "2021-13-01",
        "2021年13月1日",
        "2021-00-10",
        "20210629",
        "0771-6116986",
        "09:24-10:30",
        "第1-2条",
        "",
        "   ",
        "2021年6月",
        "v1.2021.06.29.3",
    ],
)
def test_not_dates(text):
    assert parse_date(text, as_of=AS_OF) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[06-29]", dt.date(2021, 6, 29)),
        ("06-29", dt.date(2021, 6, 29)),
        ("6月29日", dt.date(2021, 6, 29)),
        ("12-21", dt.date(2021, 12, 21)),  # as_of + 1 day is still this year
        ("12-22", dt.date(2020, 12, 22)),  # after as_of + 1: last year
        ("02-29", dt.date(2020, 2, 29)),  # latest leap year
        ("时间：06-29", dt.date(2021, 6, 29)),
    ],
)
def test_yearless_with_as_of(text, expected):
    assert parse_date(text, as_of=AS_OF) == expected


def test_yearless_without_context_is_none():
    assert parse_date("[06-29]") is None
    assert parse_date("6月29日") is None
    # ... but a later full date still counts
    assert parse_date("06-29 then 2021-06-30") == dt.date(2021, 6, 30)


def test_year_hint_wins_over_as_of():
    assert parse_date("[06-29]", as_of=AS_OF, year_hint=2019) == dt.date(2019, 6, 29)
    assert parse_date("02-29", year_hint=2021) is None


def test_year_not_absorbed_by_yearless_pattern():
    # the "6月29日" inside a full date must not be a second date
    assert find_dates("2021年6月29日", as_of=AS_OF) == [("2021年6月29日", dt.date(2021, 6, 29))]
    assert find_dates("2021-06-29", as_of=AS_OF) == [("2021-06-29", dt.date(2021, 6, 29))]


def test_find_dates_in_order_as_printed():
    text = "[06-29] 标题 2021年6月1日 另 ２０２０．０１．０２ 末 2021-02-30"
    assert find_dates(text, as_of=AS_OF) == [
        ("[06-29]", dt.date(2021, 6, 29)),
        ("2021年6月1日", dt.date(2021, 6, 1)),
        ("２０２０．０１．０２", dt.date(2020, 1, 2)),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.jj.gov.cn/zwgk/202106/t20210629_4993087.html", dt.date(2021, 6, 29)),
        ("/hsyw/202306/t20230608_2213652.shtml", dt.date(2023, 6, 8)),
        (
            "http://www.sc.gov.cn/10462/11689/2025/6/3/071bf8764a6c4ac791d78c1c0acab3c5.shtml",
            dt.date(2025, 6, 3),
        ),
        ("http://x/202102/t20210230_1.html", None),
        ("http://x/zwgk/index.html", None),
        ("", None),
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


# ----------------------------------------------------------------------------------------------- properties

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
FULLWIDTH = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")

FORMATS = [
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日 09:24",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"[{d.year}-{d.month:02d}-{d.day:02d}]",
    lambda d: f"发布时间：{d.year}-{d.month:02d}-{d.day:02d} 09:24",
    lambda d: f"发布日期：{d.year}-{d.month:02d}-{d.day:02d} 10:49:00",
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}".translate(FULLWIDTH),
]


@settings(max_examples=300)
@given(
    d=dates, fmt=st.sampled_from(range(len(FORMATS))), prefix=st.sampled_from(["", "标题 ", "（", "发布 "])
)
def test_round_trip_full(d, fmt, prefix):
    text = prefix + FORMATS[fmt](d)
    assert parse_date(text) == d
    assert [v for _, v in find_dates(text)] == [d]


@settings(max_examples=300)
@given(d=dates, as_of=dates, fmt=st.sampled_from(["[{m:02d}-{d:02d}]", "{m:02d}-{d:02d}", "{m}月{d}日"]))
def test_yearless_never_after_as_of(d, as_of, fmt):
    text = fmt.format(m=d.month, d=d.day)
    got = parse_date(text, as_of=as_of)
    assert got is not None
    assert got <= as_of + dt.timedelta(days=1)
    assert (got.month, got.day) == (d.month, d.day)
    assert got > as_of + dt.timedelta(days=1) - dt.timedelta(days=366 * 8 + 2)


@given(d=dates)
def test_trs_url_round_trip(d):
    url = f"http://x.gov.cn/zwgk/{d:%Y%m}/t{d:%Y%m%d}_4993087.html"
    assert date_from_url(url) == d


@settings(max_examples=500)
@given(
    text=st.text(), as_of=st.none() | dates, hint=st.none() | st.integers(min_value=-(10**6), max_value=10**6)
)
def test_no_input_crashes(text, as_of, hint):
    for value in [parse_date(text, as_of=as_of, year_hint=hint)] + [
        v for _, v in find_dates(text, as_of=as_of, year_hint=hint)
    ]:
        assert value is None or isinstance(value, dt.date)
    got = date_from_url(text)
    assert got is None or isinstance(got, dt.date)


@settings(max_examples=500)
@given(
    text=st.text(alphabet="0123456789０１２３４５６７８９-/.年月日[]：: 　－", max_size=40),
    as_of=st.none() | dates,
)
def test_dateish_noise_gives_real_dates(text, as_of):
    for printed, value in find_dates(text, as_of=as_of):
        assert isinstance(value, dt.date)
        assert printed and printed in text
        # a printed date without a 4-digit year was resolved against as_of and never lands after as_of + 1
        if as_of is not None and len([c for c in printed if c.isdigit()]) <= 4:
            assert value <= as_of + dt.timedelta(days=1)
