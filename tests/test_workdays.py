"""Working days against the published 2021 calendar (国务院办公厅关于2021年部分节假日安排的通知)."""

import datetime as dt

import pytest

from inspections.workdays import (
    CalendarUnknown,
    add_working_days,
    is_workday,
    supported_years,
    working_days_between,
)

D = dt.date


@pytest.mark.parametrize("day", [D(2021, 10, d) for d in range(1, 8)])
def test_national_day_week_is_not_working(day):
    assert not is_workday(day)


@pytest.mark.parametrize(
    "day", [D(2021, 9, 26), D(2021, 10, 9), D(2021, 9, 18), D(2021, 2, 7), D(2021, 2, 20)]
)
def test_make_up_sundays_and_saturdays_are_working(day):
    # 2021: 中秋 调休 9月18日(六); 国庆 调休 9月26日(日)、10月9日(六); 春节 调休 2月7日(日)、2月20日(六)
    assert is_workday(day)


def test_ordinary_weekend_and_weekday():
    assert not is_workday(D(2021, 12, 18))  # Saturday
    assert is_workday(D(2021, 12, 20))  # Monday


def test_counts_across_national_day():
    # Thursday 2021-09-30 -> the next working day is Friday 10-08, then Saturday 10-09 (make-up day).
    assert working_days_between(D(2021, 9, 30), D(2021, 10, 8)) == 1
    assert working_days_between(D(2021, 9, 30), D(2021, 10, 9)) == 2
    assert add_working_days(D(2021, 9, 30), 1) == D(2021, 10, 8)
    assert add_working_days(D(2021, 9, 30), 2) == D(2021, 10, 9)
    # 7 working days from Friday 2021-09-24: 9-26(日,调休) 9-27 9-28 9-29 9-30 10-08 10-09
    assert add_working_days(D(2021, 9, 24), 7) == D(2021, 10, 9)


def test_event_day_itself_does_not_count_and_order_matters():
    assert working_days_between(D(2021, 12, 20), D(2021, 12, 20)) == 0
    assert working_days_between(D(2021, 12, 13), D(2021, 12, 20)) == 5
    assert working_days_between(D(2021, 12, 20), D(2021, 12, 13)) == -5
    assert add_working_days(D(2021, 12, 20), 0) == D(2021, 12, 20)


def test_add_and_between_agree():
    start = D(2021, 1, 29)
    for n in range(40):
        assert working_days_between(start, add_working_days(start, n)) == n


def test_spring_festival_2021():
    # 春节 2月11日至17日放假，2月7日(日)、2月20日(六)上班
    assert working_days_between(D(2021, 2, 10), D(2021, 2, 18)) == 1


def test_unknown_year_raises_clearly():
    year = supported_years()[-1] + 1
    with pytest.raises(CalendarUnknown) as info:
        is_workday(D(year, 3, 2))
    assert info.value.year == year
    assert "节假日" in str(info.value)
    with pytest.raises(ValueError, match="节假日"):
        working_days_between(D(2021, 1, 1), D(year, 1, 5))
