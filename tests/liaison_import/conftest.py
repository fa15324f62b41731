"""Duty-list import fixtures: the district's administrator, a street's administrator, an
administrator of another district; files built the way a clerk's spreadsheet looks."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from blocks.models import Posting
from tests.factories import UserFactory, area, post

DUTY_HEADER = ["序号", "事项", "分类编码", "主体责任部门", "配合责任部门", "备注"]
STREET_HEADER = ["序号", "事项", "分类编码"]


@pytest.fixture
def district_admin(world):
    user = UserFactory(username="district-admin")
    post(user, world.district, Posting.Role.ADMINISTRATOR)
    return user


@pytest.fixture
def street_admin(world):
    user = UserFactory(username="street-admin")
    post(user, world.street, Posting.Role.STREET_ADMIN)
    return user


@pytest.fixture
def far_admin(world):
    """The administrator of another district: the lists of 雨湖 are not there for them."""
    user = UserFactory(username="far-admin")
    post(user, area("430304", "岳塘区"), Posting.Role.ADMINISTRATOR)
    return user


def xlsx_file(rows, header=DUTY_HEADER, name="清单.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows, header=STREET_HEADER, name="清单.csv", encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), "text/csv")
