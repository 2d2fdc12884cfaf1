"""The policy brief's content from a package comparison: the answer first, one figure per question,
the table the text quotes, and what the model leaves out, in Chinese or English from the message
catalogue (:mod:`clustersim.i18n`).

Every number in the text is a string produced once by :mod:`clustersim.brief.numbers` and shown again
in the table, so the text and the table cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clustersim.brief import numbers as nb
from clustersim.i18n import translator
from clustersim.scenario import ScenarioError

__all__ = ["Brief", "build_brief", "caveats", "method"]


@dataclass
class Brief:
    lang: str
    title: str
    subtitle: str
    answer: list[str]
    questions: list[tuple[str, str]]  # (heading, figure key) one figure per question
    table_header: list[str]
    table_rows: list[list[str]]
    caveats_title: str
    caveats: list[str]
    method: str
    comparison: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    extra_figures: list[tuple[str, Any]] = field(default_factory=list)
    frontier_header: list[str] = field(default_factory=list)
    frontier_rows: list[list[str]] = field(default_factory=list)


def _cells(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    """Every number of one package's row, formatted once."""
    out = {"p": nb.share(r["took_off"], lang), "p_low": nb.share(r["took_off_low"], lang),
           "p_high": nb.share(r["took_off_high"], lang), "payback": nb.year(r["payback_year"], lang)}
    for stem, f in (("jobs", nb.count), ("incentives_paid", nb.money), ("extra_revenue", nb.money),
                    ("net_fiscal_return", nb.money), ("cost_per_job", nb.money)):
        out[stem] = f(r[stem], lang)
        out[f"{stem}_low"], out[f"{stem}_high"] = f(r[f"{stem}_low"], lang), f(r[f"{stem}_high"], lang)
    return out


def caveats(_) -> list[str]:
    """What the model leaves out, in the translator's language."""
    return [
        _("Firms are simulated as types, not as named companies: the model says how likely a cluster is, "
          "not which firm will come."),
        _("Rival counties keep their policies fixed unless the scenario lets them respond; a bidding war "
          "would raise the cost."),
        _("Land, labour and infrastructure respond in simplified ways; the model leaves out financing costs, "
          "central transfers tied to the package and the risk that firms leave once incentives end early."),
        _("Numbers are model results under stated assumptions, not forecasts: use them to compare packages, "
          "not to promise jobs."),
    ]


def method(_) -> str:
    """What a package can hold (the documents' terms) and the method, in one paragraph."""
    return (_("A package can hold: land prices by investment tier (10,000 yuan per mu), a standard-factory "
              "land price, tax rebates by year of residence, fee refunds and a relocation award.") + " "
            + _("Method: agent-based simulation of firms choosing among counties (ClusterSim); take-off means the "
                "county keeps at least the take-off share of the industry's jobs for five years after its last "
                "incentive."))


def build_brief(results: pd.DataFrame, meta: Mapping[str, Any], lang: str = "zh",
                search: Mapping[str, Any] | None = None) -> Brief:
    """The brief of a packages sweep with a baseline package (``[design] baseline``); ``search``: a
    cheapest-package search's ``result.json`` (``clustersim cheapest``), which adds its answer, its
    cost-probability frontier (figure and table) and its confirmation."""
    from clustersim.lab.compare import comparison

    _ = translator(lang)
    baseline = meta.get("baseline_package")
    if meta.get("design_kind") != "packages" or not baseline:
        raise ScenarioError("brief", "design", meta.get("design_kind"),
                            "the brief needs a package comparison with a baseline package ([design] kind = "
                            "\"packages\", baseline = ...), e.g. one made in the package lab")
    factor = next((f["name"] for f in meta["factors"] if f.get("role") == "package"), "package")
    table = comparison(results, meta, factor, baseline=str(baseline))
    known = meta.get("packages") or {}
    labels = {str(p): (_("no incentives") if p == baseline else str((known.get(p) or {}).get("label") or p))
              for p in table["package"]}
    cells = {str(r["package"]): _cells(r, lang) for _i, r in table.iterrows()}
    others = table[table["package"] != baseline]
    if others.empty:
        raise ScenarioError("brief", "packages", list(labels), "the comparison has no package besides the baseline")
    best = others.loc[others["took_off"].astype(float).idxmax()]
    b, c0 = cells[str(best["package"])], cells[str(baseline)]
    n = int(best["n_ok"])
    verdict = (_("Yes, more likely than not.") if best["took_off_low"] > 0.5 else
               _("Probably not.") if best["took_off_high"] < 0.5 else _("Uncertain: it may or may not."))
    answer = [
        _("Does the cluster take off? {verdict}").format(verdict=verdict),
        _("With the best package, {package}, the county's cluster takes off in {p} of simulated futures"
          "{ci}; with no incentives, in {p0}.").format(
            package=labels[str(best["package"])], p=b["p"], ci=nb.interval(b["p_low"], b["p_high"], lang),
            p0=c0["p"]),
        _("It costs the county {cost} in incentives over the run{ci} and brings {jobs} more jobs than doing "
          "nothing{jci}.").format(cost=b["incentives_paid"],
                                  ci=nb.interval(b["incentives_paid_low"], b["incentives_paid_high"], lang),
                                  jobs=b["jobs"], jci=nb.interval(b["jobs_low"], b["jobs_high"], lang)),
        _("Net fiscal return (extra revenue minus incentives): {net}{ci}; the incentives are paid back by {payback} "
          "(median).").format(net=b["net_fiscal_return"],
                              ci=nb.interval(b["net_fiscal_return_low"], b["net_fiscal_return_high"], lang),
                              payback=b["payback"]),
        _("How sure: each package was simulated {n} times in worlds that differ by chance; the ranges in "
          "brackets hold the true value with 95 % confidence.").format(n=n),
    ]
    header = [_("Package"), _("Runs"), _("Take-off probability"), _("Jobs gained"), _("Incentives paid"),
              _("Net fiscal return"), _("Cost per job"), _("Payback year (median)")]
    rows = []
    for p, runs in zip(table["package"], table["n_ok"], strict=True):
        c = cells[str(p)]
        rows.append([labels[str(p)], str(int(runs)), c["p"] + nb.interval(c["p_low"], c["p_high"], lang),
                     c["jobs"] + nb.interval(c["jobs_low"], c["jobs_high"], lang),
                     c["incentives_paid"] + nb.interval(c["incentives_paid_low"], c["incentives_paid_high"], lang),
                     c["net_fiscal_return"] + nb.interval(c["net_fiscal_return_low"], c["net_fiscal_return_high"],
                                                          lang),
                     c["cost_per_job"], c["payback"]])
    caveat_list = caveats(_)
    brief = Brief(
        lang=lang, title=_("Policy brief: does the incentive package make the cluster take off?"),
        subtitle=_("Focal county {county}; {years} years simulated; money in 10,000 yuan (wan).").format(
            county=meta.get("focal_county", ""), years=meta.get("years", "")),
        answer=answer,
        questions=[(_("Does it take off?"), "take_off"), (_("How many jobs, at what cost?"), "jobs_cost"),
                   (_("Does it pay for itself?"), "net")],
        table_header=header, table_rows=rows, caveats_title=_("What the model leaves out"), caveats=caveat_list,
        method=method(_),
        comparison=table, labels=labels)
    if search is not None:
        _add_search(brief, search, _)
    return brief


def _add_search(brief: Brief, search: Mapping[str, Any], _) -> None:
    from clustersim.optimise.frontier import frontier_figure, frontier_table
    from clustersim.optimise.search import Evaluation

    lang = brief.lang
    evaluations = [Evaluation(**t) for t in search["trials"]]
    table = frontier_table(evaluations)
    target, quantile = float(search["target"]), float(search["quantile"])
    brief.frontier_header = [_("Subsidy depth (1 = face value)"), _("Years the package is offered"),
                             _("Take-off probability, robust (%)"), _("Present value of incentives paid (wan)")]
    for _i, r in table.iterrows():
        brief.frontier_rows.append([f"{r['depth']:g}", f"{int(r['duration'])}", nb.share(r["robust_p"], lang),
                                    nb.money(r["cost_pv"], lang) + nb.interval(nb.money(r["cost_pv_low"], lang),
                                                                               nb.money(r["cost_pv_high"], lang),
                                                                               lang)])
    best = search.get("best")
    chosen = None
    if best:
        chosen = float(best["cost"])
        text = _("Cheapest package that works (take-off probability at least {target} at the {quantile} quantile of "
                 "the uncertain worlds): depth {depth}, {years} years, costing {cost} in present value{ci}.").format(
            target=nb.share(target, lang), quantile=nb.share(quantile, lang), depth=f"{best['params']['depth']:g}",
            years=int(best["params"]["duration"]), cost=nb.money(best["cost"], lang),
            ci=nb.interval(nb.money(best["cost_low"], lang), nb.money(best["cost_high"], lang), lang))
        confirmation = search.get("confirmation")
        if confirmation:
            text += " " + _("Checked again with fresh random draws: {p}{ci}.").format(
                p=nb.share(confirmation["robust_p"], lang),
                ci=nb.interval(nb.share(confirmation["low"], lang), nb.share(confirmation["high"], lang), lang))
        brief.answer.insert(4, text)
    else:
        brief.answer.insert(4, _("No package in the searched range reached the target take-off probability."))
    brief.extra_figures.append(("frontier", frontier_figure(table, target, lang, chosen)))
    brief.questions.append((_("What is the cheapest package that works?"), "frontier"))


def read_brief_input(sweep_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    from clustersim.sweep.report import read_sweep

    _design, results, meta = read_sweep(Path(sweep_dir))
    return results, meta
