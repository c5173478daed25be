"""`beltdoctor` command line. Each subcommand is one function registered in `COMMANDS`.

Contract for bad input: `error: <file>: <reason>` on stderr, the other files still processed, exit 2 at the
end; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from diagnosis.errors import IngestError
from diagnosis.i18n import t
from diagnosis.profile import CATEGORIES, STAGES

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def _read(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise IngestError("unreadable", file=path, detail="no such file")
    if p.is_dir():
        raise IngestError("unreadable", file=path, detail="is a folder, not a file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise IngestError("unreadable", file=path, detail=exc.strerror or str(exc)) from None


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """Text for a terminal: escape sequences and control characters (from files, names or a server) removed."""
    return _CONTROL.sub("", text)


def _error(path: str, message: str) -> None:
    print(terminal_text(f"error: {path}: {message}"), file=sys.stderr)


class ProgressLine:
    """The drafter's stage and elapsed time on stderr: one line rewritten in place on a terminal, or a line per
    stage change (and every 15 s) when stderr is a log."""

    def __init__(self, lang: str, stream: TextIO):
        self.lang, self.stream = lang, stream
        self.tty = stream.isatty()
        self.stage, self.printed_at, self.width = None, -1e9, 0

    def __call__(self, event) -> None:
        text = t(f"plan.stage.{event.stage}", self.lang, seconds=f"{event.elapsed:.0f}", chars=f"{event.chars:,}")
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = max(self.width, len(text))
        elif event.stage != self.stage or event.elapsed - self.printed_at >= 15:
            self.stream.write(text + "\n")
            self.printed_at = event.elapsed
        self.stage = event.stage
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")


def _capability_cache():
    """The workspace remembers what each LLM endpoint is; without a usable workspace, this process does."""
    from diagnosis.plan.servers import PROCESS_CACHE

    try:
        from diagnosis.store.workspace import Workspace

        return Workspace()
    except Exception:  # noqa: BLE001 - a cache is an optimisation: no workspace must not stop a plan
        return PROCESS_CACHE


def ingest_files(paths: list[str], mapping, lang: str, failed: list[str]) -> Iterator[tuple[str, object, object]]:
    """(path, frame, report) for each readable file; the others are reported on stderr and added to `failed`."""
    from diagnosis.service import Upload, read_exports

    for path in paths:
        try:
            exports = read_exports([Upload(Path(path).name, _read(path))], mapping)
        except IngestError as exc:
            _error(path, exc.message(lang))
            failed.append(path)
            continue
        for exc in exports.failed:
            _error(path, exc.message(lang))
            failed.append(path)
        for _name, frame, report in exports.read:
            yield path, frame, report


def _load_mapping(path: str | None):
    if path is None:
        return None
    from diagnosis.ingest import ColumnMapping

    return ColumnMapping.from_json(_read(path), source=path)


def cmd_ingest(args: argparse.Namespace) -> int:
    try:
        mapping = _load_mapping(args.mapping)
    except IngestError as exc:
        _error(args.mapping, exc.message(args.lang))
        return EXIT_BAD_INPUT
    failed: list[str] = []
    for path, _frame, report in ingest_files(args.files, mapping, args.lang, failed):
        if args.json:
            print(json.dumps(_ingest_json(path, report, args.lang), ensure_ascii=False))
        else:
            _print_ingest(path, report, args.lang)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _ingest_json(path: str, report, lang: str) -> dict:
    return {
        "file": path,
        "kind": report.kind,
        "kind_score": report.kind_scores.get(report.kind),
        "rows": report.rows_kept,
        "rows_read": report.rows_read,
        "start": report.start.isoformat() if report.start else None,
        "end": report.end.isoformat() if report.end else None,
        "totals": report.totals,
        "mapped": {m.header: m.field for m in report.mapped},
        "ignored": report.ignored,
        "missing_expected": report.missing_expected,
        "derived": sorted(report.derived),
        "warnings": [
            {"row": w.row, "column": w.column, "value": w.value, "code": w.code, "message": w.message(lang)}
            for w in report.warnings
        ],
        "warning_counts": report.warning_counts,
        "dropped_rows": report.dropped_rows,
        "notes": [{"code": n.get("code"), "message": report.note_text(n, lang)} for n in report.notes],
    }


def _print_ingest(path: str, report, lang: str) -> None:
    title = report.kind_title.get(lang, report.kind)
    span = f"{report.start} → {report.end}" if report.start else "—"
    print(f"{path}: {report.kind} ({title}), score {report.kind_scores.get(report.kind, 0):.2f}; "
          f"{report.rows_kept}/{report.rows_read} rows; {span}")
    if report.missing_expected:
        print(f"  missing: {', '.join(report.missing_expected)}")
    for note in report.notes:
        print(f"  note: {report.note_text(note, lang)}")
    for w in report.warnings[:20]:
        print(f"  warning: {report.warning_text(w, lang)}")
    shown = min(len(report.warnings), 20)
    total = sum(report.warning_counts.values())
    if total > shown:
        print(f"  … {total - shown} more warnings (use --json)")


def cmd_diagnose(args: argparse.Namespace) -> int:
    """Findings for one merchant from several exports of different kinds given together."""
    from diagnosis import kpis
    from diagnosis.profile import MerchantProfile
    from diagnosis.service import diagnose_merchant

    failed: list[str] = []
    ingested = [(frame, report) for _path, frame, report in ingest_files(args.files, None, args.lang, failed)]
    if failed or not ingested:
        return EXIT_BAD_INPUT
    profile = MerchantProfile(name=args.merchant or Path(args.files[0]).parent.name, category=args.category, gross_margin=args.gross_margin)
    try:
        result = diagnose_merchant(kpis.combine(ingested), profile)
    except IngestError as exc:
        _error(args.files[0], exc.message(args.lang))
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(_diagnosis_json(result, args.lang), ensure_ascii=False))
    else:
        print(f"{result.merchant}: {result.period[0]} → {result.period[1]}, health {result.health_score}/100")
        for f in result.findings:
            print(f"  [{f.severity}] {f.code}: {f.evidence[args.lang]}")
        for s in result.skipped:
            print(f"  – {s.code}: {s.reason[args.lang]}")
    return EXIT_OK


def _diagnosis_json(result, lang: str) -> dict:
    return {
        "merchant": result.merchant,
        "period": {"start": result.period[0].isoformat(), "end": result.period[1].isoformat()},
        "health_score": result.health_score,
        "findings": [
            {"code": f.code, "severity": f.severity, "metric": f.metric, "value": f.value, "benchmark": f.benchmark,
             "evidence": f.evidence[lang], "gmv_at_stake": f.gmv_at_stake, "confidence": f.confidence, "source": f.source}
            for f in result.findings
        ],
        "skipped": [{"code": s.code, "reason": s.reason[lang]} for s in result.skipped],
    }


def _margin(text: str) -> float:
    """Gross margin as 0.4 or 40 (percent); anything else is a usage error."""
    value = float(text)
    value = value / 100 if value > 1 else value
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"gross margin must be between 0 and 1 (or 0-100 %), got {text}")
    return value


def cmd_demo_data(args: argparse.Namespace) -> int:
    from diagnosis.demo_data import generate

    written = generate(Path(args.out), seed=args.seed)
    print(f"wrote {len(written)} files under {args.out}")
    return EXIT_OK


def _expand_folders(paths: list[str], lang: str) -> tuple[list[str], dict]:
    """A merchant folder stands for its export files, and its merchant.json supplies the profile (IngestError
    naming the file when it is unusable)."""
    from diagnosis.merchants import export_files
    from diagnosis.service import read_profile

    files, profile = [], {}
    for path in paths:
        folder = Path(path)
        if folder.is_dir():
            files += [str(p) for p in export_files(folder)]
            if (folder / "merchant.json").exists():
                profile = read_profile(folder, lang).model_dump()
        else:
            files.append(path)
    return files, profile


def cmd_plan(args: argparse.Namespace) -> int:
    """A diagnosis and action plan citing library cases; the LLM when configured, else (or on failure) offline."""
    from diagnosis import kpis
    from diagnosis.plan.export import FORMATS, export, plan_document
    from diagnosis.plan.llm import LlmSettings
    from diagnosis.profile import MerchantProfile
    from diagnosis.service import draft_plan, plan_context
    from knowledge.cli import open_index

    fmt = Path(args.out).suffix.lower().lstrip(".") if args.out else None
    if fmt is not None and fmt not in FORMATS:
        _error(args.out, f"unknown output format '.{fmt}'; use one of {', '.join('.' + f for f in FORMATS)}")
        return EXIT_BAD_INPUT
    try:
        files, folder_profile = _expand_folders(args.files, args.lang)
    except IngestError as exc:
        _error(exc.file, exc.message(args.lang))
        return EXIT_BAD_INPUT
    failed: list[str] = []
    ingested = [(frame, report) for _path, frame, report in ingest_files(files, None, args.lang, failed)]
    if failed or not ingested:
        return EXIT_BAD_INPUT
    profile = MerchantProfile.model_validate({
        "name": Path(files[0]).resolve().parent.name, **folder_profile,
        **{k: v for k, v in {"name": args.merchant, "category": args.category, "gross_margin": args.gross_margin,
                             "stage": args.stage}.items() if v is not None},
    })
    index = open_index()
    try:
        context = plan_context(kpis.combine(ingested), profile, args.lang, index)
    except IngestError as exc:
        _error(args.files[0], exc.message(args.lang))
        return EXIT_BAD_INPUT
    settings = None if args.offline else LlmSettings.from_env()  # the configuration was checked at start-up
    progress = None
    if settings is not None:
        settings = replace(settings, cache=_capability_cache())
        if args.progress or not args.json:
            progress = ProgressLine(args.lang, sys.stderr)
    result = draft_plan(context, index, settings, progress)
    if progress is not None:
        progress.close()
    if result.fallback:
        print(terminal_text(t("plan.fallback_note", args.lang, reason=result.fallback_reason(args.lang))), file=sys.stderr)
    if fmt is not None:
        try:
            Path(args.out).write_bytes(export(result, context, fmt, index.cases))
        except OSError as exc:
            _error(args.out, exc.strerror or str(exc))
            return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result.as_json(args.lang), ensure_ascii=False))
    elif fmt is None:
        from diagnosis.documents import to_markdown

        print(to_markdown(plan_document(result, context, index.cases, charts=False)), end="")
    else:
        print(t("plan.written", args.lang, path=args.out, drafter=result.drafter, n=len(result.plan.actions)))
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    """Every merchant folder under DIR into the workspace; failures are listed and make the exit code 2."""
    from tqdm import tqdm

    from diagnosis.batch import merchant_folders, run_batch
    from diagnosis.store.workspace import Workspace

    root, out, lang = Path(args.dir), Path(args.out) if args.out else None, args.lang
    if not root.is_dir():
        _error(args.dir, t("batch.no_dir", lang))
        return EXIT_BAD_INPUT
    if not merchant_folders(root, out):
        _error(args.dir, t("batch.empty", lang))
        return EXIT_BAD_INPUT
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _error(args.out, exc.strerror or str(exc))
            return EXIT_BAD_INPUT
    try:
        workspace = Workspace()
    except Exception as exc:  # noqa: BLE001 - a bad DATABASE_URL is a one-line error, never a traceback
        _error("workspace", t("batch.workspace", lang, detail=" ".join(str(exc).split())[:300]))
        return EXIT_BAD_INPUT
    bar = tqdm(unit="merchant", desc=t("batch.progress", lang), file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = run_batch(root, workspace, out, offline=args.offline, workers=args.workers, lang=lang, progress=progress)
    except OSError as exc:  # writing the portfolio files
        _error(str(exc.filename or out), exc.strerror or str(exc))
        return EXIT_BAD_INPUT
    finally:
        bar.close()
    for failed in report.failed:
        _error(failed.slug, failed.reason)
    if out is not None:
        print(t("batch.written", lang, path=out))
    print(report.summary(lang))
    return EXIT_BAD_INPUT if report.failed else EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def cmd_cases(args: argparse.Namespace) -> int:
    from knowledge.cli import cmd_cases as run

    return run(args)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "ingest": (cmd_ingest, "read exports and report what was found"),
    "diagnose": (cmd_diagnose, "findings with evidence for one merchant's exports"),
    "demo-data": (cmd_demo_data, "write the demo merchants' exports"),
    "plan": (cmd_plan, "a diagnosis and action plan citing methodology cases (LLM or offline)"),
    "cases": (cmd_cases, "search, show, index and validate the methodology case library"),
    "batch": (cmd_batch, "diagnose and plan every merchant folder under DIR into the workspace"),
    "users": (lambda args: _store_cli().cmd_users(args), "add or list logins of the workspace"),
    "workspace": (lambda args: _store_cli().cmd_workspace(args), "export the whole workspace to a zip, or import one"),
    "config": (lambda args: cmd_config(args), "the effective configuration: every variable, its value (secrets masked) and help"),
}


def cmd_config(args: argparse.Namespace) -> int:
    from diagnosis.config import config, describe, markdown_table

    if args.markdown:
        print(markdown_table(), end="")
        return EXIT_OK
    rows = describe(config())
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    width = max(len(r["variable"]) for r in rows)
    for row in rows:
        value = row["value"] if row["value"] is not None else "—"
        print(f"{row['variable']:<{width}}  {value}{'' if row['set'] else '  (default)'}")
    return EXIT_OK


def _store_cli():
    from diagnosis.store import cli

    return cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beltdoctor", description="BeltDoctor: Douyin store diagnosis from your own exports.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help=COMMANDS["ingest"][1])
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON object per file and line")
    p.add_argument("--mapping", metavar="MAP.json", help='column mapping {"kind": ..., "columns": {header: field}}')
    p.add_argument("--lang", choices=("zh", "en"), default="en")
    p = sub.add_parser("diagnose", help=COMMANDS["diagnose"][1])
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--category", choices=CATEGORIES, default="default")
    p.add_argument("--gross-margin", type=_margin, default=None, metavar="M", help="0.4 or 40 (%%)")
    p.add_argument("--merchant", default=None, help="name shown in the result (default: the files' folder)")
    p.add_argument("--lang", choices=("zh", "en"), default="en")
    p = sub.add_parser("plan", help=COMMANDS["plan"][1])
    p.add_argument("files", nargs="+", metavar="FILE", help="export files, or a merchant folder (exports + merchant.json)")
    p.add_argument("--offline", action="store_true", help="never call an LLM, even when one is configured")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--category", choices=CATEGORIES, default=None, help="default: the folder's merchant.json, else 'default'")
    p.add_argument("--gross-margin", type=_margin, default=None, metavar="M", help="0.4 or 40 (%%)")
    p.add_argument("--stage", choices=STAGES, default=None)
    p.add_argument("--merchant", default=None, help="name shown in the plan (default: the files' folder)")
    p.add_argument("--json", action="store_true", help='{"drafter", "fallback_reason", "plan", "problems"}')
    p.add_argument("--out", metavar="plan.md|.docx|.pdf|.xlsx", default=None)
    p.add_argument("--progress", action="store_true", help="show the LLM's stage and elapsed time on stderr (also with --json)")
    p = sub.add_parser("demo-data", help=COMMANDS["demo-data"][1])
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--seed", type=int, default=20220818)
    from knowledge.cli import add_arguments

    add_arguments(sub.add_parser("cases", help=COMMANDS["cases"][1]))
    p = sub.add_parser("batch", help=COMMANDS["batch"][1])
    p.add_argument("dir", metavar="DIR", help="one sub-folder per merchant: its exports and an optional merchant.json")
    p.add_argument("--out", metavar="OUT", default=None, help="write portfolio.csv/.xlsx, failed.csv and briefs/<merchant>.md here")
    p.add_argument("--offline", action="store_true", help="never call an LLM, even when one is configured")
    p.add_argument("--workers", type=_positive, default=2, metavar="N", help="worker processes (default 2)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    _store_cli().add_users_arguments(sub.add_parser("users", help=COMMANDS["users"][1]))
    _store_cli().add_workspace_arguments(sub.add_parser("workspace", help=COMMANDS["workspace"][1]))
    p = sub.add_parser("config", help=COMMANDS["config"][1])
    p.add_argument("--json", action="store_true", help='[{"variable","value","set","default","help"}]')
    p.add_argument("--markdown", action="store_true", help="the settings table of docs/settings.md")
    return parser


def main(argv: list[str] | None = None) -> int:
    from diagnosis.config import ConfigError, config

    args = build_parser().parse_args(argv)
    try:
        config()
    except ConfigError as exc:
        for name, why, value in exc.problems:
            _error(name, f"{why} (got {value!r})")
        return EXIT_BAD_INPUT
    handler, _ = COMMANDS[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug of ours still gets one line, never a traceback
        _error(args.command, f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); please report it")
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
