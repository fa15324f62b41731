"""A large territory file imported by a real Celery worker on Redis and PostgreSQL, followed
through the progress page the way the browser's htmx polling does."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blocks import imports
from blocks.models import Area, Posting, TerritoryImport
from tests.factories import PASSWORD, UserFactory, area, post
from tests.procs import start_celery, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_worker_imports_2000_blocks_while_the_page_shows_progress(client, tmp_path):
    area("430302", "雨湖区")
    street = area("430302001", "雨湖路街道")
    admin = UserFactory(username="jiedao")
    post(admin, street, Posting.Role.STREET_ADMIN)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["编码", "上级编码", "名称", "户数"])
    for c in range(1, 21):
        community = f"{street.code}{c:03d}"
        writer.writerow([community, street.code, f"第{c}社区", ""])
        for b in range(1, 101):
            writer.writerow([f"{community}{b:03d}", community, f"第{c}社区第{b}区块", 350])
    upload = SimpleUploadedFile("big.csv", buffer.getvalue().encode("utf-8"), "text/csv")
    assert client.login(username=admin.username, password=PASSWORD)

    worker = start_celery("worker", tmp_path, "--pool", "solo", "--concurrency", "1")
    try:
        response = client.post(f"/areas/{street.code}/import/", {"file": upload})
        job = TerritoryImport.objects.get()
        assert job.total == 2020 > imports.INLINE_ROWS
        seen: set[str] = set()

        def finished():
            partial = client.get(response["Location"], headers={"HX-Request": "true"})
            seen.add(partial.content.decode().split('data-status="')[1].split('"')[0])
            return "hx-trigger" not in partial.content.decode()

        wait_for(finished, timeout=90, every=0.2)
    finally:
        stop(worker)
    job.refresh_from_db()
    assert job.status == TerritoryImport.Status.DONE, (job.status, job.report[:3])
    assert "done" in seen and seen <= {"queued", "checking", "writing", "done"}
    assert (job.created_count, job.updated_count) == (2020, 0)
    assert Area.objects.filter(code__startswith=street.code, level=Area.Level.BLOCK).count() == 2000
