"""The mixed workload of bench/load.py: governors logging and acting, dispatchers,
department officers and leaders, each logged in through the real login form."""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ["DEMO_PASSWORD"]
CASE_LINK = re.compile(r'href="/events/([A-Z0-9]+-\d{8}-\d{4})/"')


class Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def on_start(self):
        self.client.get("/login/", name="login page")
        self.client.post(
            "/login/",
            {"username": self.username, "password": PASSWORD,
             "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
            name="login",
        )  # fmt: skip

    def post_form(self, url: str, data: dict, name: str):
        data = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        return self.client.post(url, data, name=name, allow_redirects=False)

    def open_a_case(self, html: str, name: str):
        numbers = CASE_LINK.findall(html)
        if numbers:
            self.client.get(f"/events/{random.choice(numbers)}/", name=name)


class Governor(Staff):
    weight = 5
    username = "governor"

    @task(3)
    def workbench(self):
        page = self.client.get("/events/workbench/", name="workbench")
        self.open_a_case(page.text, "case page")

    @task(2)
    def log_a_case(self):
        page = self.client.get("/events/workbench/", name="workbench")
        block = re.search(r'name="block" id="id_block" value="(\d+)"', page.text)
        category = re.findall(r'<option value="(\d+)"', page.text)
        if not block or not category:
            return
        self.post_form(
            "/events/new/",
            {"block": block.group(1), "category": random.choice(category),
             "reporter_phone": "13800138000", "description": "压测：楼道堆放杂物", "building": "1栋"},
            "log a case",
        )  # fmt: skip


class Dispatcher(Staff):
    weight = 2
    username = "dispatcher"

    @task
    def console(self):
        page = self.client.get("/events/console/", name="dispatch console")
        self.open_a_case(page.text, "case page")

    @task
    def deadlines(self):
        self.client.get("/events/deadlines/", name="deadline board")


class Officer(Staff):
    weight = 2
    username = "officer"

    @task
    def inbox(self):
        page = self.client.get("/events/inbox/?tab=in_hand", name="department inbox")
        self.open_a_case(page.text, "case page")


class Leader(Staff):
    weight = 1
    username = "leader"

    @task
    def cases(self):
        self.client.get("/events/?open=true", name="case list")
