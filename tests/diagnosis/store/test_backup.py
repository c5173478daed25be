"""Workspace backup and restore, including SQLite -> PostgreSQL (moving machines)."""

from __future__ import annotations

import io
import zipfile

import pytest

from diagnosis.store.backup import BackupError, export_zip, import_zip
from diagnosis.store.portfolio import portfolio
from diagnosis.store.workspace import Workspace

from .test_workspace import SLUG, _diagnose_and_plan, _import_all


def _filled(tmp_path) -> Workspace:
    ws = Workspace(f"sqlite:///{tmp_path / 'source.db'}")
    _import_all(ws)
    _diagnose_and_plan(ws)
    ws.set_action_status(SLUG, ws.actions(SLUG)[0].id, "done", note="备注 =1+1")
    return ws


def test_round_trip_into_either_database(tmp_path, workspace):
    source = _filled(tmp_path)
    counts = import_zip(workspace, export_zip(source))
    assert counts["upload"] == 7 and counts["action"] == len(source.actions(SLUG))
    before, after = portfolio(source), portfolio(workspace)
    assert before.drop(columns=["gmv_trend"]).equals(after.drop(columns=["gmv_trend"]))
    assert workspace.frames(SLUG)["store_daily"].equals(source.frames(SLUG)["store_daily"])
    assert workspace.actions(SLUG)[0].note == "备注 =1+1"
    workspace.upsert_merchant("new_after_restore", source.profile(SLUG))  # ids continue after the restored ones


def test_refuses_a_used_target_and_a_broken_archive(tmp_path, workspace):
    source = _filled(tmp_path)
    data = export_zip(source)
    with pytest.raises(BackupError, match="not a BeltDoctor"):
        import_zip(workspace, b"PK\x03\x04 not really")
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as good, zipfile.ZipFile(broken, "w") as bad:
        for item in good.infolist():
            if item.filename != "plan.jsonl":
                bad.writestr(item, good.read(item))
    with pytest.raises(BackupError, match="plan.jsonl"):
        import_zip(workspace, broken.getvalue())
    assert workspace.merchants() == [], "a failed import writes nothing"
    import_zip(workspace, data)
    with pytest.raises(BackupError, match="not empty"):
        import_zip(workspace, data)


def _tampered(data: bytes, member: str, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as good, zipfile.ZipFile(out, "w") as bad:
        for item in good.infolist():
            body = good.read(item)
            bad.writestr(item, edit(body.decode("utf-8")).encode("utf-8") if item.filename == member else body)
    return out.getvalue()


@pytest.mark.parametrize(("member", "edit", "message"), [
    ("merchant.jsonl", lambda text: text.replace("{", "{oops", 1), r"merchant.jsonl line 1: Expecting property name"),
    ("upload.jsonl", lambda text: text.replace('"start": "', '"start": "31/12/', 1), r"upload.jsonl line 1: Invalid isoformat"),
    ("upload.jsonl", lambda text: "[1, 2]\n" + text, r"upload.jsonl line 1: not a JSON object"),
    ("action.jsonl", lambda text: text.replace('"plan_id": ', '"plan_id": 9', 1), r"action.jsonl does not fit the workspace \(.*(FOREIGN KEY|foreign key)"),
])
def test_an_edited_or_damaged_backup_is_refused_with_its_place(tmp_path, workspace, member, edit, message):
    data = _tampered(export_zip(_filled(tmp_path)), member, edit)
    with pytest.raises(BackupError, match=message):
        import_zip(workspace, data)
    assert workspace.merchants() == [], "nothing of it is written"
