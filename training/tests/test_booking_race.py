"""Two secretaries booking one venue at the same moment: exactly one wins."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from branches.tests.factories import VenueFactory
from training.models import Lesson
from training.services import lessons as services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_conflict_check(monkeypatch):
    """Widen the gap between checking for conflicts and saving, as a slow request would."""
    real = services.lesson_hard_conflicts

    def check_then_pause(lesson):
        problems = real(lesson)
        time.sleep(0.3)
        return problems

    monkeypatch.setattr(services, "lesson_hard_conflicts", check_then_pause)


def test_racing_saves_of_one_venue_book_it_once(branch_a, branch_b, secretary, slow_conflict_check):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs concurrent transactions: PostgreSQL")
    venue = VenueFactory(owner=branch_a, name="共享报告厅", capacity=100)
    start = timezone.now() + datetime.timedelta(days=5)
    barrier = threading.Barrier(2)
    outcomes = []

    def book(branch, offset_minutes):
        lesson = Lesson(
            organiser=branch,
            title=f"活动-{branch.code}",
            kind="seminar",
            venue=venue,
            credit_hours=2,
            start=start + datetime.timedelta(minutes=offset_minutes),
            end=start + datetime.timedelta(hours=2, minutes=offset_minutes),
        )
        barrier.wait()
        try:
            services.lesson_save(lesson=lesson, actor=None)
            outcomes.append("saved")
        except ValidationError as exc:
            outcomes.append(exc.message_dict["venue"][0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(branch_a, 0)), threading.Thread(target=book, args=(branch_b, 30))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes, key=lambda o: o != "saved")[0] == "saved"
    assert outcomes.count("saved") == 1
    refused = next(o for o in outcomes if o != "saved")
    winner = Lesson.objects.get(venue=venue)
    assert winner.title in refused
