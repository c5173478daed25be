"""Both languages define every key the code uses; engine message codes all have texts."""

import re
from pathlib import Path

from diagnosis.i18n import LANGS, table
from diagnosis.values import BOUNDS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("diagnosis/**/*.py"), *ROOT.glob("knowledge/**/*.py"), ROOT / "app.py", *ROOT.glob("pages/*.py")]


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)


def test_every_entry_has_both_languages():
    for key, entry in table().items():
        for lang in LANGS:
            assert entry.get(lang, "").strip(), f"{key} lacks {lang}"


def test_placeholders_match_between_languages():
    for key, entry in table().items():
        zh, en = (set(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGS)
        assert zh == en, f"{key}: zh {zh} vs en {en}"


def test_every_literal_key_in_the_code_exists():
    used = set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", _code()))
    assert used, "no t() calls found: the scan is broken"
    missing = sorted(k for k in used if k not in table())
    assert not missing, missing


def test_every_error_warning_and_note_code_has_a_text():
    code = _code()
    errors = set(re.findall(r"""IngestError\(\s*["'](\w+)["']""", code))
    ingest_code = "\n".join((ROOT / "diagnosis" / name).read_text(encoding="utf-8") for name in ("ingest.py", "readers.py", "values.py"))
    warnings = set(re.findall(r"""code=["'](\w+)["']""", ingest_code)) | {b.code for bounds in BOUNDS.values() for b in bounds}
    warnings |= {"unparseable", "id_mangled", "totals_row", "bad_row_shape", "duplicate_key"}
    notes = set(re.findall(r"""\{"code": ["'](\w+)["']""", code)) | {"ratio_read_as_percent"}
    missing = [f"error.{c}" for c in errors if f"error.{c}" not in table()]
    missing += [f"warning.{c}" for c in warnings if f"warning.{c}" not in table() and f"note.{c}" not in table()]
    missing += [f"note.{c}" for c in notes if f"note.{c}" not in table()]
    assert not missing, missing


def test_no_key_is_defined_twice():
    import yaml

    node = yaml.compose((ROOT / "diagnosis" / "data" / "i18n.yaml").read_text(encoding="utf-8"))
    keys = [k.value for k, _ in node.value]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_every_rule_has_an_evidence_sentence():
    from diagnosis.rules import load_rules

    missing = [key for code in load_rules() for key in (f"rule.{code}.evidence", f"rule.{code}.title") if key not in table()]
    assert not missing, missing
