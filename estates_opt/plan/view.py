"""The plan as a notebook cell shows it (:meth:`estates_opt.Plan._repr_html_`).

Status and NPV, each key figure against its target, and the top decisions: the
largest disposals and projects. Plain HTML with no dependency beyond the standard
library, so it shows in any notebook, with or without the ``report`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estates_opt.plan import Plan

__all__ = ["TOP", "plan_html"]

TOP = 5
"""Decisions listed per kind (disposals, projects)."""


def _money(value: Any) -> str:
    return "-" if value is None else f"£{float(value):,.0f}"


def _number(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.0f}"


def _share(value: Any) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def _row(label: str, value: str, target: str = "", met: bool | None = None) -> str:
    mark = "" if met is None else (" &#10003;" if met else " &#10007; short")
    return (
        f'<tr><th scope="row" style="text-align:left">{escape(label)}</th>'
        f'<td style="text-align:right">{value}</td>'
        f'<td style="text-align:right">{target}{mark}</td></tr>'
    )


def _kpi_rows(kpis: Mapping[str, Any]) -> list[str]:
    rows = []
    for label, key, target_key, fmt in (
        ("Capital receipts", "receipts", "receipts_target", _money),
        ("Homes", "housing_units", "housing_target", _number),
    ):
        value, target = kpis.get(key), kpis.get(target_key)
        met = None if value is None or not target else float(value) >= float(target) - 1e-6
        rows.append(_row(label, fmt(value), fmt(target) if target else "", met))
    rows += [
        _row("Sites disposed", _number(kpis.get("sites_disposed"))),
        _row("Projects built", _number(kpis.get("projects_built"))),
        _row("Capital spend", _money(kpis.get("capex"))),
        _row("Running cost saved per year", _money(kpis.get("running_cost_saving_per_year"))),
        _row(
            "Utilisation, first to last period",
            f"{_share(kpis.get('utilisation_before'))} &rarr; "
            f"{_share(kpis.get('utilisation_after'))}",
        ),
    ]
    return rows


def _decisions(plan: Plan) -> str:
    parts = []
    sold = plan.disposals.sort_values("receipt", ascending=False).head(TOP)
    if len(sold):
        items = "".join(
            f"<li>sell <b>{escape(str(r.get('name') or r['site_id']))}</b> in period "
            f"{int(r['dispose_period'])} for {_money(r['receipt'])}"
            + (f": {escape(str(r['reason']))}" if r.get("reason") else "")
            + "</li>"
            for r in sold.to_dict("records")
        )
        parts.append(f"<p>Largest disposals ({len(plan.disposals)} in all):</p><ul>{items}</ul>")
    built = plan.projects[plan.projects["start_period"].notna()]
    if len(built):
        top = built.sort_values("capex", ascending=False).head(TOP)
        items = "".join(
            f"<li>build <b>{escape(str(r['project_id']))}</b> at {escape(str(r['site_id']))}"
            f", starting period {int(r['start_period'])}, {_money(r['capex'])}</li>"
            for r in top.to_dict("records")
        )
        parts.append(f"<p>Largest projects ({len(built)} in all):</p><ul>{items}</ul>")
    return "".join(parts) or "<p>No site is sold and no project is built.</p>"


def plan_html(plan: Plan) -> str:
    """An HTML summary of ``plan`` for a notebook cell."""
    head = (
        f"<h4 style='margin:4px 0'>Plan for {escape(plan.instance_name)}: "
        f"{escape(plan.status.value)}</h4>"
    )
    if not plan.status.has_solution:
        message = escape(plan.message or "no plan was found")
        return f"<div>{head}<p>{message}</p></div>"
    gap = "-" if plan.mip_gap is None else f"{plan.mip_gap:.2%}"
    lead = (
        f"<p>Net present value <b>{_money(plan.objective)}</b> (gap {gap}, "
        f"{escape(plan.solver)}).</p>"
    )
    table = (
        "<table><caption style='text-align:left'>Key figures against targets</caption>"
        '<thead><tr><th scope="col"></th><th scope="col">Plan</th>'
        '<th scope="col">Target</th></tr></thead>'
        f"<tbody>{''.join(_kpi_rows(plan.kpis))}</tbody></table>"
    )
    return f"<div>{head}{lead}{table}{_decisions(plan)}</div>"
