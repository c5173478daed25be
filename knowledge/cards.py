"""Reading and writing case files: YAML front matter plus a body in both languages.

The file is what a trainer edits by hand, so a problem is reported with the file and the field or heading that
is wrong, never as a pydantic dump, and writing a case produces exactly the layout that reading expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from diagnosis.config import config
from diagnosis.schema import load_yaml
from knowledge.schema import LANGUAGE_HEADINGS, SECTION_HEADINGS, SECTIONS, Body, Case

CASES_DIR = Path(__file__).parent / "cases"


def cases_dir() -> Path:
    """The library folder: `BELTDOCTOR_CASES` if set (a provider's own library), else the bundled one."""
    return config().cases or CASES_DIR

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_LANG_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
_SECTION_HEADING = re.compile(r"^###\s+(.+?)\s*$", re.MULTILINE)


class CaseError(ValueError):
    """A case file that cannot be used; `file` and `problems` say where and what."""

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(problems))


@dataclass(frozen=True)
class Library:
    """All cases of one folder, by id, in file-name order."""

    cases: dict[str, Case]
    root: Path

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self):
        return iter(self.cases.values())

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.cases

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)


def _sections(text: str, lang: str, file: str, problems: list[str]) -> dict[str, str] | None:
    wanted = {heading.lower(): name for name, heading in SECTION_HEADINGS[lang].items()}
    parts = _SECTION_HEADING.split(text)
    found: dict[str, str] = {}
    for heading, content in zip(parts[1::2], parts[2::2], strict=True):
        name = wanted.get(heading.strip().lower())
        if name is None:
            problems.append(f"unknown heading '### {heading}' in the {LANGUAGE_HEADINGS[lang]} part")
            continue
        found[name] = content.strip()
    missing = [SECTION_HEADINGS[lang][name] for name in SECTIONS if not found.get(name)]
    if missing:
        problems.append(f"the {LANGUAGE_HEADINGS[lang]} part lacks or leaves empty: " + ", ".join(f"### {m}" for m in missing))
        return None
    return found


def _body(text: str, file: str, problems: list[str]) -> dict[str, dict[str, str]]:
    by_heading = {heading: lang for lang, heading in LANGUAGE_HEADINGS.items()}
    parts = _LANG_HEADING.split(text)
    body: dict[str, dict[str, str]] = {}
    for heading, content in zip(parts[1::2], parts[2::2], strict=True):
        lang = by_heading.get(heading.strip())
        if lang is None:
            problems.append(f"unknown heading '## {heading}' (expected '## 中文' and '## English')")
            continue
        sections = _sections(content, lang, file, problems)
        if sections is not None:
            body[lang] = sections
    for lang, heading in LANGUAGE_HEADINGS.items():
        if lang not in body and not any(heading in p for p in problems):
            problems.append(f"missing language: no '## {heading}' part")
    return body


def _pydantic_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "front matter"
        out.append(f"{where}: {err['msg']}")
    return out


def parse_case(text: str, file: str = "<case>") -> Case:
    """The case in `text`; CaseError listing every problem found (not just the first)."""
    match = _FRONT.match(text.lstrip("\ufeff"))
    if not match:
        raise CaseError(file, ["no YAML front matter: the file must start with '---', the fields, and '---'"])
    try:
        meta = load_yaml(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 2}" if mark else ""
        raise CaseError(file, [f"front matter is not valid YAML{line}: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(meta, dict):
        raise CaseError(file, ["front matter must be a mapping of field: value"])
    problems: list[str] = []
    meta["body"] = _body(text[match.end():], file, problems)
    try:
        case = Case.model_validate(meta)
    except ValidationError as exc:
        problems.extend(p for p in _pydantic_problems(exc) if not p.startswith("body"))
        raise CaseError(file, problems) from None
    if problems:
        raise CaseError(file, problems)
    return case


def load_case(path: Path) -> Case:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(str(path), [f"cannot be read as UTF-8 text: {exc}"]) from None
    case = parse_case(text, str(path))
    if case.id != path.stem:
        raise CaseError(str(path), [f"id '{case.id}' differs from the file name '{path.stem}'"])
    return case


def case_files(root: Path | None = None) -> list[Path]:
    return sorted((root or cases_dir()).glob("*.md"))


def load_library(root: Path | None = None) -> Library:
    """Every case under `root`; CaseError naming every broken file if any is broken."""
    root = root or cases_dir()
    cases, errors = {}, []
    for path in case_files(root):
        try:
            case = load_case(path)
        except CaseError as exc:
            errors.append(exc)
            continue
        cases[case.id] = case
    if errors:
        raise CaseError(str(root), [str(e) for e in errors])
    return Library(cases, root)


def validate_library(root: Path | None = None) -> list[CaseError]:
    """One CaseError per broken file (empty when all are valid)."""
    errors = []
    for path in case_files(root):
        try:
            load_case(path)
        except CaseError as exc:
            errors.append(exc)
    return errors


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _yaml_value(value: object) -> str:
    text = yaml.dump(value, Dumper=_DUMPER, allow_unicode=True, default_flow_style=True, width=10_000, sort_keys=False)
    return text.strip().removesuffix("\n...").strip()


def render_case(case: Case) -> str:
    """The file text for `case`, in the documented layout; parse_case(render_case(c)) == c."""
    data = case.model_dump(mode="json", exclude={"body"})
    lines = ["---"]
    for key, value in data.items():
        if key == "tactics":
            lines.append("tactics:")
            lines.extend(f"  - {_yaml_value(t)}" for t in value)
        else:
            lines.append(f"{key}: {_yaml_value(value)}")
    lines.append("---")
    for lang, heading in LANGUAGE_HEADINGS.items():
        lines.append(f"## {heading}")
        body: Body = case.body[lang]
        for name in SECTIONS:
            lines.append(f"### {SECTION_HEADINGS[lang][name]}")
            lines.append(getattr(body, name).strip())
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_case(case: Case, root: Path | None = None) -> Path:
    """Write atomically (temp file + rename), so a failed save never leaves half a card behind."""
    text = render_case(case)
    parse_case(text, f"{case.id}.md")
    path = (root or cases_dir()) / f"{case.id}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
