"""Locust users for the HTTP scenario: log in through the form, then fetch one page as fast as possible.

Run by bench/run.py as its own process (never import locust next to
Django: gevent's patching breaks database access). Settings come from the
environment: BENCH_PATH (the page), BENCH_USERNAME and BENCH_PASSWORD.
The statistics are reset once every user has logged in, so the password
hashing of twenty logins is not counted against the page.
"""

import os
import re
from urllib.parse import urlencode

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/")
USERNAME = os.environ.get("BENCH_USERNAME", "")
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
LOGIN = "/accounts/login/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_logins = {"done": 0}


class PageUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        form = self.client.get(LOGIN, name="login form")
        match = TOKEN.search(form.text or "")
        body = urlencode(
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1) if match else ""}
        )
        with self.client.post(
            LOGIN,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": self.host + LOGIN},
            allow_redirects=False,
            catch_response=True,
            name="login",
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
        _logins["done"] += 1
        if _logins["done"] == self.environment.parsed_options.num_users:
            self.environment.runner.stats.reset_all()

    @task
    def page(self):
        with self.client.get(PATH, name="page", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{PATH} answered {response.status_code}")
