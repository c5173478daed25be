"""The brief a provider reads before meeting a merchant: what changed since the last meeting, how each action of
the plan is going and whether its KPI moved, what to talk about, and the cases the plan leans on.

Built from the workspace only (no Streamlit), so the page, an export and a future e-mail digest say the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from diagnosis import kpis
from diagnosis.documents import Bullets, Document, Heading, Paragraph, Table
from diagnosis.formatting import DASH, pct
from diagnosis.formatting import metric as format_metric
from diagnosis.i18n import t
from diagnosis.plan.context import SUMMARY_METRICS
from diagnosis.store.models import DiagnosisRecord, MeetingNote
from diagnosis.store.workspace import Workspace, from_parquet, stale

BEFORE_DAYS = 28
"""An action's KPI before it started is read over this many days: four whole weeks, so weekday effects cancel."""
DUE_DAYS = {"this_week": 7, "next_30_days": 30}
"""Days from the plan to the latest start of a time-boxed action; promotion-bound actions carry no stored date."""
_PER_DAY_AGGS = ("sum", "count", "difference")


@dataclass(frozen=True)
class Snapshot:
    """One stored diagnosis, as the brief needs it."""

    version: int
    period: tuple[date, date]
    health: int

    @classmethod
    def of(cls, record: DiagnosisRecord) -> Snapshot:
        return cls(record.version, (record.period_start, record.period_end), record.health_score)


@dataclass(frozen=True)
class FindingLine:
    code: str
    title: str
    severity: str


def _improved(before: float | None, after: float | None, better: str) -> bool | None:
    if before is None or after is None:
        return None
    return after > before if better == "up" else after < before


@dataclass(frozen=True)
class KpiChange:
    metric: str
    label: str
    unit: str
    better: str
    before: float | None
    now: float | None

    @property
    def change(self) -> float | None:
        """Relative change; None without both values or from zero."""
        if self.before is None or self.now is None or not self.before:
            return None
        return self.now / self.before - 1

    @property
    def improved(self) -> bool | None:
        return None if self.before == self.now else _improved(self.before, self.now, self.better)


@dataclass(frozen=True)
class ActionLine:
    """An action of the latest plan. `before`/`after` are its metric over the 28 days before `started_on` and from
    then to `done_on` (or the last data day); sums are per day (`per_day`) so windows of unequal length compare."""

    id: int
    n: int
    title: str
    status: str
    started_on: date | None
    done_on: date | None
    note: str
    metric: str
    metric_label: str
    unit: str | None
    when: str | None
    due: date | None
    overdue: bool
    before: float | None = None
    after: float | None = None
    per_day: bool = False
    improved: bool | None = None


@dataclass(frozen=True)
class CaseRef:
    id: str
    title: str


@dataclass
class Brief:
    slug: str
    name: str
    lang: str
    today: date
    meetings: list[tuple[date, str]]  # oldest first
    current: Snapshot | None
    before: Snapshot | None  # None: the current diagnosis is the first (or none was in force at the meeting)
    since_meeting: bool  # `before` is the diagnosis in force at the last meeting, not merely the previous version
    kpis: list[KpiChange] = field(default_factory=list)
    new_findings: list[FindingLine] = field(default_factory=list)
    resolved_findings: list[FindingLine] = field(default_factory=list)
    persisting_findings: list[FindingLine] = field(default_factory=list)
    plan_version: int | None = None
    actions: list[ActionLine] = field(default_factory=list)
    cases: list[CaseRef] = field(default_factory=list)
    last_data: date | None = None
    stale: bool = True
    talking_points: list[str] = field(default_factory=list)

    @property
    def last_meeting(self) -> date | None:
        return self.meetings[-1][0] if self.meetings else None

    @property
    def health_change(self) -> int | None:
        return None if self.current is None or self.before is None else self.current.health - self.before.health


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC timestamps, PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _in_force(diagnoses: list[DiagnosisRecord], meeting: MeetingNote) -> DiagnosisRecord | None:
    """The latest diagnosis made before the meeting ended: by the end of its day, or by the time it was recorded
    when that is earlier (a meeting recorded the same day, between two diagnoses)."""
    end_of_day = datetime.combine(meeting.held_on + timedelta(days=1), time.min).astimezone()
    cutoff = min(_utc(meeting.created_at), end_of_day)
    made = [d for d in diagnoses if _utc(d.created_at) <= cutoff]
    return made[-1] if made else None


def _findings(record: DiagnosisRecord | None) -> dict[str, dict]:
    return {f["code"]: f for f in (record.findings if record else [])}


def _lines(codes, findings: dict[str, dict], lang: str) -> list[FindingLine]:
    return [FindingLine(c, t(f"rule.{c}.title", lang), findings[c]["severity"]) for c in codes]


def _kpi_changes(now: dict, before: dict, lang: str) -> list[KpiChange]:
    defs = kpis.metric_defs()
    keys = [m for m in SUMMARY_METRICS if m in now or m in before]
    keys += [m for m in {**before, **now} if m not in keys and m in defs]
    return [KpiChange(m, defs[m].label(lang), defs[m].unit, defs[m].better, before.get(m), now.get(m)) for m in keys]


def _action_kpi(frames: kpis.Frames, metric: str, started: date, ended: date) -> tuple[float | None, float | None, bool]:
    """(before, after, per_day) for one action; None where the data does not reach a window."""
    if ended < started:
        return None, None, False
    before = kpis.Period(started - timedelta(days=BEFORE_DAYS), started - timedelta(days=1))
    compared = kpis.compare(frames, kpis.Period(started, ended), before, [metric])
    per_day = compared.per_day and kpis.metric_defs()[metric].agg in _PER_DAY_AGGS
    return compared.reference.get(metric), compared.current.get(metric), per_day


def _actions(ws: Workspace, slug: str, plan, frames: kpis.Frames, last_day: date | None, today: date, lang: str) -> list[ActionLine]:
    defs = kpis.metric_defs()
    planned = plan.plan.get("actions", []) if plan else []
    made = _utc(plan.created_at).astimezone().date() if plan else today
    lines = []
    for a in ws.actions(slug):
        when = planned[a.n - 1].get("when") if a.n <= len(planned) else None
        due = made + timedelta(days=DUE_DAYS[when]) if when in DUE_DAYS else None
        known = a.metric in defs
        label = defs[a.metric].label(lang) if known else (t(f"rule.{a.why[0]}.title", lang) if a.why else a.metric)
        line = ActionLine(a.id, a.n, a.title, a.status, a.started_on, a.done_on, a.note or "", a.metric, label,
                          defs[a.metric].unit if known else None, when, due, a.status == "todo" and due is not None and today > due)
        if known and a.started_on is not None and last_day is not None:
            before, after, per_day = _action_kpi(frames, a.metric, a.started_on, min(a.done_on or last_day, last_day))
            line = replace(line, before=before, after=after, per_day=per_day, improved=_improved(before, after, defs[a.metric].better))
        lines.append(line)
    return lines


def shown_value(value: float | None, unit: str | None, lang: str) -> str:
    if value is None:
        return DASH
    return format_metric(value, unit, lang) if unit else f"{value:g}"


def action_metric(a: ActionLine, lang: str) -> str:
    return a.metric_label + (t("brief.per_day", lang) if a.per_day else "")


def _talking_points(brief: Brief) -> list[str]:
    lang = brief.lang
    points = [t("brief.point.new_high", lang, title=f.title) for f in brief.new_findings if f.severity == "high"]
    points += [t("brief.point.resolved", lang, title=f.title) for f in brief.resolved_findings]
    for a in brief.actions:
        if a.status == "done":
            verdict = {True: "improved", False: "not_improved", None: "unmeasured"}[a.improved]
            points.append(t(f"brief.point.done_{verdict}", lang, action=a.title, metric=action_metric(a, lang),
                            before=shown_value(a.before, a.unit, lang), after=shown_value(a.after, a.unit, lang)))
    points += [t("brief.point.overdue", lang, action=a.title, due=a.due.isoformat()) for a in brief.actions if a.overdue]
    if brief.last_data is None:
        points.append(t("brief.point.no_data", lang))
    elif brief.stale:
        points.append(t("brief.point.stale", lang, day=brief.last_data.isoformat(), days=(brief.today - brief.last_data).days))
    return points or [t("brief.point.none", lang)]


def meeting_brief(ws: Workspace, slug: str, lang: str, today: date | None = None, library=None) -> Brief:
    """The brief for `slug` as of `today`. `library` (case id -> Case) names the cited cases; the bundled library
    is read when it is not given (the app passes its cached one)."""
    today = today or date.today()
    name = ws.profile(slug).name or slug
    meetings = ws.meetings(slug)
    meetings.sort(key=lambda m: (m.held_on, _utc(m.created_at)))
    diagnoses = ws.diagnoses(slug)
    current = diagnoses[-1] if diagnoses else None
    if meetings:
        before = _in_force(diagnoses, meetings[-1])
    else:
        before = diagnoses[-2] if len(diagnoses) > 1 else None
    uploads = ws.uploads(slug)
    frames = kpis.combine((from_parquet(u.data), u.kind) for u in uploads)
    last_day = max((u.end for u in uploads if u.end is not None), default=None)
    plan = ws.latest_plan(slug)
    same = current is not None and before is current  # no diagnosis since the meeting: nothing changed, all persists
    reference = None if same else before
    now_f, ref_f = _findings(current), _findings(reference)
    brief = Brief(
        slug, name, lang, today, [(m.held_on, m.text) for m in meetings],
        Snapshot.of(current) if current else None, Snapshot.of(before) if before else None, bool(meetings),
        kpis=_kpi_changes(current.kpis if current else {}, reference.kpis if reference else {}, lang),
        new_findings=[] if same else _lines([c for c in now_f if c not in ref_f], now_f, lang),
        resolved_findings=_lines([c for c in ref_f if c not in now_f], ref_f, lang),
        persisting_findings=_lines([c for c in now_f if same or c in ref_f], now_f, lang),
        plan_version=plan.version if plan else None,
        actions=_actions(ws, slug, plan, frames, last_day, today, lang),
        last_data=last_day, stale=stale(last_day, today),
    )
    if plan:
        if library is None:
            from knowledge.cards import load_library

            library = load_library()
        cited = dict.fromkeys(c for a in plan.plan.get("actions", []) for c in a.get("cases", []))
        brief.cases = [CaseRef(c, library.get(c).title(lang) if library.get(c) else c) for c in cited]
    brief.talking_points = _talking_points(brief)
    return brief


def comparison_caption(brief: Brief, lang: str) -> str:
    """One line saying which two diagnoses the brief compares."""
    now = brief.current
    if now is None:
        return t("brief.no_diagnosis", lang)
    period = f"{now.period[0].isoformat()} – {now.period[1].isoformat()}"
    meeting = brief.last_meeting.isoformat() if brief.last_meeting else ""
    if brief.before is None:
        if brief.since_meeting:
            return t("brief.compare.none_before", lang, now=now.version, period=period, meeting=meeting)
        return t("brief.compare.first", lang, now=now.version, period=period)
    if brief.before == now:
        return t("brief.compare.unchanged", lang, now=now.version, meeting=meeting)
    key = "brief.compare.meeting" if brief.since_meeting else "brief.compare.previous"
    return t(key, lang, now=now.version, before=brief.before.version, period=period, meeting=meeting)


def verdict(a: ActionLine, lang: str) -> str:
    if a.started_on is None:
        return t("brief.action.not_started", lang)
    return t({True: "brief.action.improved", False: "brief.action.not_improved", None: "brief.action.unmeasured"}[a.improved], lang)


def kpi_table(brief: Brief, lang: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(header, rows) of the KPI changes; without an earlier diagnosis only today's values, not a column of dashes."""
    compared = any(k.before is not None for k in brief.kpis)
    columns = ("metric", "before", "now", "change") if compared else ("metric", "now")
    values = {k.metric: {"metric": k.label, "before": shown_value(k.before, k.unit, lang), "now": shown_value(k.now, k.unit, lang),
                         "change": pct(k.change, signed=True)} for k in brief.kpis}
    return tuple(t(f"brief.col.{c}", lang) for c in columns), tuple(tuple(v[c] for c in columns) for v in values.values())


def action_rows(brief: Brief, lang: str) -> tuple[tuple[str, ...], ...]:
    """(action, status, dates, KPI before → after, effect): five columns, so the table fits an A4 page."""
    rows = []
    for a in brief.actions:
        dates = f"{a.started_on.isoformat()} → {a.done_on.isoformat() if a.done_on else ''}".strip() if a.started_on else DASH
        kpi = action_metric(a, lang)
        if a.started_on:
            kpi = t("brief.action.window", lang, metric=kpi, before=shown_value(a.before, a.unit, lang),
                    after=shown_value(a.after, a.unit, lang))
        rows.append((f"{a.n}. {a.title}", t(f"action.status.{a.status}", lang), dates, kpi, verdict(a, lang)))
    return tuple(rows)


ACTION_COLUMNS = ("action", "status", "dates", "kpi", "verdict")


def brief_document(brief: Brief, lang: str) -> Document:
    """The brief as a handout (DOCX/PDF): talking points first, as they are what the meeting is for."""
    meeting = brief.last_meeting.isoformat() if brief.last_meeting else t("brief.no_meeting", lang)
    doc = Document(t("brief.doc.title", lang, merchant=brief.name),
                   t("brief.doc.subtitle", lang, today=brief.today.isoformat(), meeting=meeting), lang=lang)
    doc.add(Heading(t("brief.points", lang)), Bullets(tuple(brief.talking_points)))
    doc.add(Heading(t("brief.changes", lang)), Paragraph(comparison_caption(brief, lang), "caption"))
    if brief.current is not None:
        change = "" if brief.health_change is None else f" ({brief.health_change:+d})" if brief.health_change else " (±0)"
        doc.add(Paragraph(f"{t('brief.health', lang)}: {brief.current.health}/100{change}"))
    if brief.kpis:
        doc.add(Heading(t("brief.kpis", lang), 2), Table(*kpi_table(brief, lang)))
    for key, lines in (("new", brief.new_findings), ("resolved", brief.resolved_findings), ("persisting", brief.persisting_findings)):
        if lines:
            doc.add(Heading(t(f"brief.findings.{key}", lang), 2),
                    Bullets(tuple(f"{f.title} · {t(f'severity.{f.severity}', lang)}" for f in lines)))
    doc.add(Heading(t("brief.actions", lang)))
    if brief.actions:
        doc.add(Table(tuple(t(f"brief.col.{c}", lang) for c in ACTION_COLUMNS), action_rows(brief, lang)))
        notes = tuple(f"{a.n}. {a.note}" for a in brief.actions if a.note.strip())
        if notes:
            doc.add(Heading(t("brief.action_notes", lang), 2), Bullets(notes))
    else:
        doc.add(Paragraph(t("brief.no_plan", lang)))
    if brief.cases:
        doc.add(Heading(t("brief.cases", lang)), Bullets(tuple(f"{c.title} ({c.id})" for c in brief.cases)))
    if brief.meetings and brief.meetings[-1][1].strip():
        doc.add(Heading(t("brief.meeting.last_notes", lang, date=meeting)), Paragraph(brief.meetings[-1][1], "quote"))
    return doc
