"""No cycles, no surprise imports: the engine and the CLI run without Streamlit or Plotly, and the case library
does not load the diagnosis rules. Checked in a fresh interpreter, since this test process has imported much."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_diagnosing_planning_and_adding_a_user_need_neither_streamlit_nor_plotly():
    loaded = _modules_after("""
import diagnosis.cli
from diagnosis import kpis
from diagnosis.merchants import DEMO_ROOT, load_merchant, read_profile
from diagnosis.profile import MerchantProfile
from diagnosis.rules import diagnose
from diagnosis.plan.context import build_context
from diagnosis.plan.drafters import make_plan
from diagnosis.store.cli import hash_password
frames = kpis.combine(load_merchant(DEMO_ROOT / "menswear_paid").frames)
profile = MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / "menswear_paid"), "en")
context = build_context(frames, profile, "en", result=diagnose(frames, profile))
assert make_plan(context, set()).plan.actions
assert hash_password("a long password").startswith("$2")
""")
    assert "diagnosis.rules" in loaded and "diagnosis.plan.offline" in loaded, "the scan ran the engine"
    assert not {"streamlit", "plotly", "streamlit_authenticator"} & {m.split(".")[0] for m in loaded}


def test_the_case_library_does_not_load_the_rules():
    loaded = _modules_after("import knowledge.index, knowledge.cli, knowledge.tokens, knowledge.thesaurus")
    assert "knowledge.index" in loaded
    assert not {m for m in loaded if m.startswith(("diagnosis.rules", "diagnosis.kpis", "diagnosis.dashboard"))}


def test_the_shared_vocabulary_equals_the_rule_registry():
    from diagnosis.rules import load_rules
    from diagnosis.vocabulary import finding_codes

    assert set(load_rules()) == finding_codes()


def test_a_password_hashed_by_the_cli_signs_in_through_the_login_library():
    import streamlit_authenticator as stauth

    from diagnosis.store.cli import hash_password

    hashed = hash_password("provider-pass")
    assert stauth.Hasher.is_hash(hashed) and stauth.Hasher.check_pw("provider-pass", hashed)
    assert not stauth.Hasher.check_pw("provider-pasS", hashed)
