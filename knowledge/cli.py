"""`beltdoctor cases search|show|index|validate`: the case library from the command line.

Same contract as the rest of the CLI: `error: <what>: <reason>` on stderr and exit 2 for bad input, never a
traceback; `--json` output is a stable interface.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from diagnosis.profile import CATEGORIES
from knowledge.schema import CHANNELS, KINDS, finding_codes

EXIT_OK, EXIT_BAD_INPUT = 0, 2
STAGES = ("cold_start", "growth", "mature", "promotion")


def _error(what: str, message: str) -> int:
    print(f"error: {what}: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _lang(args: argparse.Namespace, text: str = "") -> str:
    from knowledge.tokens import contains_cjk

    return args.lang or ("zh" if contains_cjk(text) else "en")


def open_index(rebuild: bool = False, progress: bool = False):
    """The index over the bundled library; built on first use so a fresh machine can search at once."""
    from knowledge.cards import load_library
    from knowledge.embedders import configured_embedder
    from knowledge.index import CaseIndex

    index = CaseIndex.open(embedder=configured_embedder())
    if rebuild or not len(index):
        index.sync(load_library(), progress=_progress_bar() if progress else None)
    return index


def _progress_bar():
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="case", file=sys.stderr, leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _hit_json(hit, lang: str) -> dict:
    case = hit.case
    return {
        "id": case.id,
        "title": case.title(lang),
        "merchant": case.merchant[lang],
        "provider": case.provider[lang],
        "pain_points": list(case.pain_points),
        "score": hit.score,
        "kind": case.kind,
        "category": case.category,
        "why_matched": [{"kind": w.kind, "value": w.value} for w in hit.why_matched],
    }


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge.index import Filters

    if args.pain_point and args.pain_point not in finding_codes():
        return _error(args.pain_point, f"unknown pain-point code; known: {', '.join(sorted(finding_codes()))}")
    if args.k < 1:
        return _error("--k", "must be at least 1")
    lang = _lang(args, args.query)
    filters = Filters(category=args.category, pain_point=args.pain_point, stage=args.stage, channel=args.channel, kind=args.kind)
    hits = _open(args).search(args.query, k=args.k, filters=filters)
    if args.json:
        print(json.dumps([_hit_json(h, lang) for h in hits], ensure_ascii=False))
        return EXIT_OK
    if not hits:
        print("没有找到匹配的案例" if lang == "zh" else "no matching cases")
    for rank, hit in enumerate(hits, 1):
        why = ", ".join(w.value for w in hit.why_matched[:6])
        print(f"{rank}. {hit.case.id}  {hit.case.title(lang)}  [{', '.join(hit.case.pain_points)}]  {hit.score:.3f}")
        if why:
            print(f"   {'匹配' if lang == 'zh' else 'matched'}: {why}")
    return EXIT_OK


def _open(args: argparse.Namespace):
    return open_index(progress=not getattr(args, "json", False))


def cmd_show(args: argparse.Namespace) -> int:
    from difflib import get_close_matches

    from knowledge.cards import load_library, render_case

    library = load_library()
    case = library.get(args.id)
    if case is None:
        near = get_close_matches(args.id, list(library.cases), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(near)}?" if near else "; list ids with `beltdoctor cases search`"
        return _error(args.id, f"no such case{hint}")
    if args.json:
        print(json.dumps(case.model_dump(mode="json"), ensure_ascii=False))
    else:
        print(render_case(case), end="")
    return EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    from knowledge.cards import load_library
    from knowledge.embedders import configured_embedder
    from knowledge.index import CaseIndex

    library = load_library()
    index = CaseIndex.open(embedder=configured_embedder())
    if args.rebuild:
        index.sync([])
    report = index.sync(library, progress=_progress_bar())
    print(
        f"{len(index)} cases indexed (embedder {index.embedder.id}): {len(report.added)} added, {len(report.updated)} "
        f"updated, {len(report.removed)} removed, {report.unchanged} unchanged, {report.embedded} embedded"
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from knowledge.cards import case_files, cases_dir, load_case, validate_library
    from knowledge.coverage import uncovered_codes

    root = Path(args.dir) if args.dir else cases_dir()
    if not root.is_dir():
        return _error(str(root), "not a folder")
    errors = validate_library(root)
    for exc in errors:
        for problem in exc.problems:
            print(f"error: {exc.file}: {problem}", file=sys.stderr)
    files = case_files(root)
    good = [load_case(p) for p in files if all(e.file != str(p) for e in errors)]
    kinds = Counter(c.kind for c in good)
    print(f"{len(good)}/{len(files)} case files valid ({', '.join(f'{k}: {kinds.get(k, 0)}' for k in KINDS)})")
    thin = uncovered_codes(good)
    for code, count in thin.items():
        print(f"warning: finding code {code} has {count} playbook card(s); every code should have at least 2", file=sys.stderr)
    return EXIT_BAD_INPUT if errors or not files else EXIT_OK


def cmd_cases(args: argparse.Namespace) -> int:
    from knowledge.cards import CaseError
    from knowledge.index import IndexMismatch

    handlers = {"search": cmd_search, "show": cmd_show, "index": cmd_index, "validate": cmd_validate}
    try:
        return handlers[args.cases_command](args)
    except CaseError as exc:
        return _error(exc.file, "; ".join(exc.problems[:5]))
    except IndexMismatch as exc:
        return _error("case index", str(exc))
    except Exception as exc:  # noqa: BLE001 - a Chroma server that is down must read as one line, not a traceback
        return _error("case index", f"{type(exc).__name__}: {exc}"[:400])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cases_command", required=True)
    p = sub.add_parser("search", help="find cases for a question in Chinese or English")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--category", choices=CATEGORIES)
    p.add_argument("--pain-point", metavar="CODE", help="a finding code, e.g. aov_low")
    p.add_argument("--stage", choices=STAGES)
    p.add_argument("--channel", choices=CHANNELS)
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="language of titles (default: the query's)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="print one case")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("index", help="build or update the search index (only changed cases are re-embedded)")
    p.add_argument("--rebuild", action="store_true", help="drop every indexed case first")
    p = sub.add_parser("validate", help="check every case file against the schema")
    p.add_argument("--dir", default=None, help="folder of case files (default: the bundled library)")
