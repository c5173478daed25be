"""Workspace fixtures on SQLite and on a real PostgreSQL server.

PostgreSQL comes from BELTDOCTOR_TEST_DATABASE_URL (CI starts a server on 127.0.0.1, see .ci/run); without it
the PostgreSQL variants are skipped with the reason. Each test gets its own database (SQLite file) or schema
reset (PostgreSQL: all tables dropped first)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from diagnosis.store.workspace import Workspace


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request, tmp_path):
    if request.param == "sqlite":
        ws = Workspace(f"sqlite:///{tmp_path / 'ws.db'}")
    else:
        url = os.environ.get("BELTDOCTOR_TEST_DATABASE_URL")
        if not url:
            pytest.skip("BELTDOCTOR_TEST_DATABASE_URL is not set (CI starts PostgreSQL and sets it)")
        _reset_postgres(url)
        ws = Workspace(url)
    yield ws
    ws.engine.dispose()
