"""One analysis as the reader meets it: the answer first (key numbers), then why (diagnosis,
strength of evidence, what the data cannot say, each chart beside the line it supports), what to
do (prioritised actions with owners and due dates, the plan by milestone, the alert trigger), then
the evidence (remaining charts, tables of at most ``BODY_ROWS`` rows; longer ones go to the
appendix and to their CSV), data quality and method.  Built from the unit's declared views
(:class:`crmlens.report.views.Story`, captions, tables); no analysis is named here."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.report.blocks import (
    BODY_ROWS,
    Bullets,
    ChartBlock,
    Para,
    Section,
    TableBlock,
)
from crmlens.report.charts import Chart, charts_for
from crmlens.report.document import method_notes, metric_grid, table_block
from crmlens.report.i18n import fmt_value, t, tr_value
from crmlens.report.views import Line, Story, TableView, views_of

SUMMARY_BULLETS = 7  # the executive summary across analyses never has more


def default_story(r: AnalysisResult) -> Story:
    """A unit that declares no story: its findings and recommendations, in their order."""
    found = [Line(f.code, f.params, severity=f.severity) for f in r.findings]
    body = [f for f in found if not f.key.startswith("dq.")]
    actions = tuple(Line(x.code, x.params, severity="action") for x in r.recommendations)
    return Story(
        answer=tuple(body[:1]),
        why=tuple(body[1:]),
        actions=actions,
        summary=(*body[:2], *actions[:1]),
    )


def say(line: Line, lang: str) -> str:
    text = t(line.key, lang, **line.params)
    return t("report.weak_evidence", lang, text=text) if line.strength == "weak" else text


def figure_list(numbers: list[int], lang: str) -> str:
    """ "3", "3 and 4", "3, 4 and 5" (zh: 3、4、5)."""
    names = [str(n) for n in numbers]
    if lang == "zh" or len(names) < 2:
        return "、".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def figure_ref(key: str, numbers: list[int], lang: str) -> str:
    """A reference to one figure (``key``) or several (``key`` + ``_many``)."""
    return t(key if len(numbers) == 1 else f"{key}_many", lang, figures=figure_list(numbers, lang))


def captioned_charts(r: AnalysisResult, lang: str) -> list[tuple[Chart, Line]]:
    """The charts the report shows for ``r``, each with its caption (a chart with nothing to say
    is not shown)."""
    views = views_of(r.analysis)
    shown = []
    for chart in charts_for(r, lang):
        caption = views.captions.get(chart.id)
        line = caption.text(r) if caption else Line("report.chart_caption", {"title": chart.title})
        if line is not None:
            shown.append((chart, line))
    return shown


class AnalysisPart:
    """The sections of one analysis, its figures (numbered from the caller's offset) and the
    long tables it sends to the appendix."""

    def __init__(
        self,
        r: AnalysisResult,
        lang: str,
        include_pii: bool,
        top_n: int,
        shown: list[tuple[Chart, Line]] | None = None,
    ) -> None:
        """``shown``: ``captioned_charts(r, lang)`` when the caller has built them already."""
        self.r, self.lang, self.include_pii, self.top_n = r, lang, include_pii, top_n
        self.views = views_of(r.analysis)
        self.story = self.views.story(r) if self.views.story else default_story(r)
        shown = captioned_charts(r, lang) if shown is None else shown
        self.captions: dict[str, Line] = {chart.id: line for chart, line in shown}
        charts = [chart for chart, _ in shown]
        why_ids = [line.id for line in self.story.why if line.id]
        self.placed: dict[str, list[Chart]] = {i: [] for i in why_ids}
        self.evidence: list[Chart] = []
        for chart in charts:
            caption = self.views.captions.get(chart.id)
            supports = caption.supports if caption else ""
            self.placed.get(supports, self.evidence).append(chart)
        order = [c for i in why_ids for c in self.placed[i]] + self.evidence
        self.order = {c.id: n for n, c in enumerate(order, start=1)}
        self.figure_count = len(order)
        self.appendix: list[Any] = []

    # ---- text ---------------------------------------------------------------------------------

    def say(self, line: Line) -> str:
        return say(line, self.lang)

    def summary_lines(self) -> list[Line]:
        """The unit's summary bullets, weak evidence last (never the first thing a reader sees)."""
        return sorted(self.story.summary, key=lambda line: line.strength == "weak")

    # ---- sections -----------------------------------------------------------------------------

    def sections(self, first_figure: int) -> list[Section]:
        self.offset = first_figure
        name, lang = self.r.analysis, self.lang
        head = Section(name, t(f"analysis.{name}.title", lang))
        joiner = "" if lang == "zh" else " "
        head.blocks.append(Para(joiner.join(self.say(x) for x in self.story.answer)))
        if self.story.overview:
            head.blocks.append(Bullets([self.say(x) for x in self.story.overview]))
        head.blocks.append(metric_grid(self.r, lang))
        return [
            head,
            Section(f"{name}-why", t("report.why", lang), self.why_blocks(), 3),
            Section(f"{name}-actions", t("report.what_to_do", lang), self.action_blocks(), 3),
            Section(f"{name}-evidence", t("report.evidence", lang), self.evidence_blocks(), 3),
            Section(f"{name}-data-quality", t("report.data_quality", lang), self.dq_blocks(), 3),
            Section(f"{name}-method", t("report.method", lang), method_notes(self.r, lang), 3),
        ]

    def number(self, chart: Chart) -> int:
        return self.offset + self.order[chart.id]

    def chart_block(self, chart: Chart) -> ChartBlock:
        n = self.number(chart)
        text = self.say(self.captions[chart.id])
        return ChartBlock(chart, n, t("report.figure_caption", self.lang, n=n, text=text))

    def why_blocks(self) -> list[Any]:
        blocks: list[Any] = []
        for line in self.story.why:
            charts = self.placed.get(line.id, []) if line.id else []
            text = self.say(line)
            if charts:
                text += figure_ref(
                    "report.see_figures", [self.number(c) for c in charts], self.lang
                )
            blocks.append(Para(text, line.severity))
            blocks.extend(self.chart_block(c) for c in charts)
        if self.story.limits:
            blocks.append(Para(t("report.limits", self.lang)))
            blocks.append(Bullets([self.say(x) for x in self.story.limits]))
        return blocks

    def action_blocks(self) -> list[Any]:
        plan = self.r.tables.get("plan_summary")
        items = [self.say(x) + self.plan_note(x, plan) for x in self.story.actions]
        blocks: list[Any] = [Bullets(items, ordered=True)] if items else []
        if plan is not None and len(plan):
            blocks.append(Para(t("report.plan_intro", self.lang)))
            blocks.append(plan_table(self.r, plan, self.lang))
        if self.story.trigger is not None:
            blocks.append(Para(self.say(self.story.trigger), "warning"))
        return blocks

    def plan_note(self, line: Line, plan: pd.DataFrame | None) -> str:
        action = line.params.get("plan_action")
        if not action or plan is None:
            return ""
        rows = plan[plan["action"] == action]
        if rows.empty:
            return ""
        row = rows.iloc[0]
        return t(
            "report.action_owner_due",
            self.lang,
            owner=fmt_value(str(row["owner_role"]).split("; "), "list", self.lang),
            due=row["due_date"],
            days=int(row["milestone_days"]),
        )

    def evidence_blocks(self) -> list[Any]:
        blocks: list[Any] = []
        if self.evidence:
            numbers = [self.number(c) for c in self.evidence]
            blocks.append(Para(figure_ref("report.more_figures", numbers, self.lang)))
            blocks.extend(self.chart_block(c) for c in self.evidence)
        for view in self.views.tables:
            limit = view.rows(self.top_n)
            block = self.table(view, min(limit, BODY_ROWS))
            if block is None:
                continue
            if block.total_rows > len(block.rows) and limit > BODY_ROWS:
                full = self.table(view, limit)
                full.id += "-full"
                full.note = self.rows_note(full, "report.rows_in_file")
                self.appendix.append(full)
                block.note = self.rows_note(block, "report.rows_in_appendix")
            elif block.total_rows > len(block.rows):
                block.note = self.rows_note(block, "report.rows_in_file")
            blocks.append(block)
        return blocks

    def table(self, view: TableView, limit: int) -> TableBlock | None:
        return table_block(self.r, view, self.lang, limit, self.include_pii, self.views)

    def rows_note(self, block: TableBlock, key: str) -> str:
        return t(key, self.lang, shown=len(block.rows), total=block.total_rows)

    def dq_blocks(self) -> list[Any]:
        dq = [t(f.code, self.lang, **f.params) for f in self.r.findings if f.code.startswith("dq.")]
        return [Bullets(dq or [t("report.no_dq_findings", self.lang)])]


def plan_table(r: AnalysisResult, plan: pd.DataFrame, lang: str) -> TableBlock:
    """The plan by milestone: when, due date, action, owners, how many entities, how much."""
    from crmlens.analyses import REGISTRY

    spec = REGISTRY.get(r.analysis)
    kind = spec.entity.kind if spec is not None else "entity"
    rows, keys = [], []
    for p in plan.itertuples(index=False):
        quantity = None if pd.isna(p.quantity) else int(p.quantity)
        rows.append(
            [
                t("report.milestone", lang, days=int(p.milestone_days)),
                str(p.due_date),
                tr_value(str(p.action), lang),
                fmt_value(str(p.owner_role).split("; "), "list", lang),
                fmt_value(int(p.entities), "int", lang),
                fmt_value(quantity, "int", lang),
            ]
        )
        keys.append(
            [int(p.milestone_days), str(p.due_date), str(p.action), "", p.entities, quantity]
        )
    columns = ["report.milestone_col", "col.due_date", "col.action", "col.owner_role"]
    headers = [t(c, lang) for c in columns]
    headers += [t(f"report.plan_entities.{kind}", lang), t("report.plan_quantity", lang)]
    if plan["quantity"].isna().all():  # no action of this plan has a size
        headers, rows, keys = headers[:-1], [r[:-1] for r in rows], [k[:-1] for k in keys]
    return TableBlock(
        f"{r.analysis}-plan",
        t("report.plan_title", lang),
        headers,
        rows,
        keys,
        len(rows),
        link="action_plan.xlsx",
    )


def executive_summary(parts: list[AnalysisPart], lang: str) -> Section:
    """At most ``SUMMARY_BULLETS`` bullets across analyses, shared out in report order; each unit
    contributes its own lines, most important first, weak evidence last and labelled."""
    queues = [part.summary_lines() for part in parts]
    quota = [0] * len(queues)
    left = SUMMARY_BULLETS
    while left and any(q < len(lines) for q, lines in zip(quota, queues)):
        for i, lines in enumerate(queues):  # one more line each, in report order
            if left and quota[i] < len(lines):
                quota[i] += 1
                left -= 1
    items = []
    for part, lines, n in zip(parts, queues, quota):
        items += [part.say(line) for line in lines[:n]]
    return Section("summary", t("report.summary", lang), [Bullets(items)])
