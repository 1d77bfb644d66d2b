"""The month calendar marks today, in the grid and in the phone list."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db


def test_month_grid_and_phone_list_mark_today_even_without_lessons(client, member, branch_a):
    LessonFactory(title="A", organiser=branch_a, start=at(2030, 3, 5, 9))
    with time_machine.travel(datetime.datetime(2030, 3, 15, 2, tzinfo=datetime.UTC)):
        client.force_login(member)
        response = client.get(reverse("calendar:calendar_view"))
    html = response.content.decode()
    page = response.context["page"]
    assert [day.date.day for day in page.list_days] == [5, 15]
    assert html.count('aria-current="date"') == 2  # the grid cell and the phone card
    grid_cell = html.split('calendar-today"', 1)[1].split("</td>", 1)[0]
    assert "15" in grid_cell and "今天" in grid_cell


def test_another_month_marks_no_day(client, member):
    with time_machine.travel(datetime.datetime(2030, 3, 15, 2, tzinfo=datetime.UTC)):
        client.force_login(member)
        html = client.get(reverse("calendar:calendar_view"), {"date": "2030-04-10"}).content.decode()
    assert 'aria-current="date"' not in html and "calendar-today-badge" not in html


def test_feed_page_explains_phones_used_in_china_and_not_google(client, member):
    client.force_login(member)
    html = client.get(reverse("calendar:feed_page")).content.decode()
    howto = html.split('id="feed-howto"', 1)[1].split("</dl>", 1)[0]
    assert "设置 → 日历 → 账户 → 添加账户 → 其他 → 添加已订阅的日历" in howto
    for brand in ("华为", "小米", "OPPO", "vivo"):
        assert brand in howto, brand
    assert "lessons.ics" in howto and "Google" not in html


def test_empty_current_month_shows_today_and_says_there_are_no_lessons(client, member):
    with time_machine.travel(datetime.datetime(2030, 3, 15, 2, tzinfo=datetime.UTC)):
        client.force_login(member)
        response = client.get(reverse("calendar:calendar_view"))
    html = response.content.decode()
    assert [day.date.day for day in response.context["page"].list_days] == [15]
    assert "calendar-day-today" in html and "本月暂无学习活动" in html
