"""The login page: whose system it is, and what happens to a scan made before logging in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_names_the_organisation_in_heading_and_title(client, settings):
    settings.ORGANISATION_NAME = "某某县交通运输局党组"
    body = client.get(reverse("login")).content.decode()
    assert '<p class="text-muted mb-1" id="organisation-name">某某县交通运输局党组</p>' in body
    title = body.split("<title>")[1].split("</title>")[0]
    assert "某某县交通运输局党组" in title


def test_organisation_name_defaults_to_the_demo_bureau():
    from config.settings import base

    assert base.ORGANISATION_NAME == "云溪县交通运输局党组"


def test_login_page_promises_the_check_in_only_for_a_pending_scan(client):
    plain = client.get(reverse("login")).content.decode()
    elsewhere = client.get(reverse("login"), {"next": reverse("home")}).content.decode()
    scan = client.get(reverse("login"), {"next": reverse("training:check_in_resume")}).content.decode()
    assert "登录后将自动完成签到" not in plain and "登录后将自动完成签到" not in elsewhere
    assert "登录后将自动完成签到" in scan
