"""Locust phones for the live-session scenario (i): poll the state every 2 s, answer the poll once within 10 s.

Run by bench/live.py as its own process. Each phone takes one prepared
session (BENCH_LIVE_SESSIONS, a JSON list of session keys), opens the phone
page once for its CSRF cookie and the state's version, then polls with that
version (204 while nothing changed) and answers the open poll
(BENCH_LIVE_ITEM) within 10 s (a random delay) of the moment every phone
has opened its page, when the statistics are reset.
"""

import json
import os
import random
import re
import time

from locust import FastHttpUser, constant, task

SESSIONS = json.load(open(os.environ["BENCH_LIVE_SESSIONS"]))  # noqa: SIM115
LESSON = os.environ["BENCH_LIVE_LESSON"]
ITEM = os.environ["BENCH_LIVE_ITEM"]
VERSION = re.compile(r'data-version="([^"]+)"')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_state = {"next": 0, "ready": 0}


class Phone(FastHttpUser):
    wait_time = constant(2)

    def on_start(self):
        key = SESSIONS[_state["next"] % len(SESSIONS)]
        _state["next"] += 1
        self.cookie = f"sessionid={key}"
        page = self.client.get(f"/training/lessons/{LESSON}/live/", headers={"Cookie": self.cookie}, name="phone page")
        text = page.text or ""
        match = VERSION.search(text)
        self.version = match.group(1) if match else ""
        token = TOKEN.search(text)
        self.token = token.group(1) if token else ""
        # The phone page set the CSRF cookie in the session's jar; the header
        # below names it with the session, so the jar's header is not used.
        self.csrf_cookie = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        self.delay = random.uniform(0, 10)
        self.answered = False
        _state["ready"] += 1
        if _state["ready"] == self.environment.parsed_options.num_users:
            self.environment.runner.stats.reset_all()
            # The room is in: every phone answers within 10 s from now.
            _state["t0"] = time.monotonic()

    def _headers(self):
        cookie = self.cookie + (f"; csrftoken={self.csrf_cookie}" if self.csrf_cookie else "")
        return {"Cookie": cookie, "HX-Request": "true"}

    @task
    def poll(self):
        with self.client.get(
            f"/training/lessons/{LESSON}/live/items/?v={self.version}",
            headers=self._headers(),
            name="poll",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                match = VERSION.search(response.text or "")
                if match:
                    self.version = match.group(1)
            elif response.status_code != 204:
                response.failure(f"poll answered {response.status_code}")
        started = _state.get("t0")
        if not self.answered and started is not None and time.monotonic() >= started + self.delay:
            self.answer()

    def answer(self):
        self.answered = True
        body = f"choice={random.randint(0, 3)}&csrfmiddlewaretoken={self.token}"
        headers = {
            **self._headers(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{self.host}/training/lessons/{LESSON}/live/",
        }
        with self.client.post(
            f"/training/live/answer/{ITEM}/", data=body, headers=headers, name="answer", catch_response=True
        ) as response:
            if response.status_code != 200 or 'id="phone-answered"' not in (response.text or ""):
                response.failure(f"answer answered {response.status_code}")
