"""The package lab page (route ``/lab`` of ``clustersim ui``): design incentive packages in the
documents' terms, run them in the background against offering nothing, compare them, export them.

Every visible text goes through the message catalogue (:mod:`clustersim.i18n`); the language is
the browser session's (:mod:`clustersim.ui.language`, shared with the model page), the lab
(designed packages, running job) is per browser tab (Solara reactive state lives in the
tab's own kernel). Runs go to the server's shared process pool (:mod:`clustersim.lab.runner`); the
page polls the job in a thread and never waits on a model.
"""

from __future__ import annotations

import time

import solara

from clustersim.i18n import N_
from clustersim.lab import form as lf
from clustersim.lab.compare import METRICS, comparison, comparison_figure
from clustersim.ui.language import HIDE_ROUTE_TABS, LanguageSwitch, current, use_translator

POLL_SECONDS = 0.4


def _fmt(value: float, kind: str) -> str:
    import math

    if value is None or not math.isfinite(float(value)):
        return "–"
    if kind == "share":
        return f"{float(value):.0%}"
    if kind == "year":
        return f"{float(value):.0f}"
    return f"{float(value):,.0f}"


def _html(text: str) -> str:
    import html

    return html.escape(str(text))


def _table_rows(table, _):
    header = [_("Package"), _("Runs")] + [_(label) for _stem, label, _k in METRICS]
    rows = []
    for _i, r in table.iterrows():
        label = _("no incentives") if r["package"] == lf.BASELINE else str(r["label"])
        cells = [label, str(int(r["n_ok"]))]
        for stem, _label, kind in METRICS:
            cells.append(f"{_fmt(r[stem], kind)} [{_fmt(r[f'{stem}_low'], kind)}, {_fmt(r[f'{stem}_high'], kind)}]")
        rows.append(cells)
    return header, rows


@solara.component
def PackageForm(on_add):
    """The package being designed; ``on_add(design)`` when it is added to the comparison."""
    _ = use_translator("lab")
    shipped = solara.use_memo(lf.shipped_packages, [])
    start = solara.use_reactive("held_district" if "held_district" in shipped else next(iter(shipped)))
    first = shipped[start.value]
    name = solara.use_reactive("my_package")
    tiers = solara.use_reactive(", ".join(f"{t.min_investment:g}: {t.price:g}" for t in first.land_tiers))
    factory = solara.use_reactive("" if first.standard_factory_price is None else f"{first.standard_factory_price:g}")
    rebates = solara.use_reactive(", ".join(f"{x:g}" for x in first.rebate_schedule))
    waiver = solara.use_reactive(f"{first.fee_waiver:g}")
    waiver_years = solara.use_reactive(str(first.fee_waiver_years))
    award = solara.use_reactive(f"{first.relocation_award:g}")
    old_site = solara.use_reactive(f"{first.old_site_recovery:g}")
    duration = solara.use_reactive(str(first.duration_years))
    depth = solara.use_reactive("1")
    error = solara.use_reactive("")

    def load(choice: str):
        p = shipped[choice]
        start.set(choice)
        tiers.set(", ".join(f"{t.min_investment:g}: {t.price:g}" for t in p.land_tiers))
        factory.set("" if p.standard_factory_price is None else f"{p.standard_factory_price:g}")
        rebates.set(", ".join(f"{x:g}" for x in p.rebate_schedule))
        waiver.set(f"{p.fee_waiver:g}")
        waiver_years.set(str(p.fee_waiver_years))
        award.set(f"{p.relocation_award:g}")
        old_site.set(f"{p.old_site_recovery:g}")
        duration.set(str(p.duration_years))

    def add():
        try:
            raw = {"name": name.value.strip(), "label": name.value.strip(),
                   "land_tiers": lf.parse_tiers(tiers.value, _("Land price by investment tier")),
                   "standard_factory_price": float(factory.value) if factory.value.strip() else None,
                   "rebate_schedule": lf.parse_list(rebates.value, _("Tax rebate by year of residence")),
                   "fee_waiver": waiver.value, "fee_waiver_years": waiver_years.value,
                   "relocation_award": award.value, "old_site_recovery": old_site.value,
                   "duration_years": duration.value, "subsidy_depth": depth.value}
            design = lf.check_package(raw)
        except ValueError as err:
            error.set(str(err))  # worded at render, so a language switch re-words it
            return
        error.set("")
        on_add(design)

    with solara.Card(_("Design a package")):
        solara.Select(_("Start from a shipped package"), value=start.value, values=list(shipped), on_value=load)
        solara.InputText(_("Package name (letters, digits, _)"), value=name)
        solara.InputText(_("Land price by investment tier (investment in 10,000 yuan: price per mu)"), value=tiers)
        solara.InputText(_("Standard-factory land price (10,000 yuan per mu; empty: none)"), value=factory)
        solara.InputText(_("Tax rebate by year of residence (share of retained tax, e.g. 1, 1, 0.5)"), value=rebates)
        solara.InputText(_("Fee refund (share of fees)"), value=waiver)
        solara.InputText(_("Fee refund years"), value=waiver_years)
        solara.InputText(_("Relocation award (share of investment)"), value=award)
        solara.InputText(_("Old-site share recovered by the firm"), value=old_site)
        solara.InputText(_("Years the package is offered"), value=duration)
        solara.InputText(_("Subsidy depth (1 = face value)"), value=depth)
        solara.Button(_("Add to comparison"), on_click=add, color="primary", classes=["lab-add"])
        if error.value:
            solara.Error(_("Refused: {reason}").format(reason=error.value), classes=["lab-error"])


@solara.component
def LabPage():
    _ = use_translator("lab")
    designs = solara.use_reactive([])
    fee = solara.use_reactive("2")
    replicates = solara.use_reactive("4")
    job = solara.use_reactive(None)
    done = solara.use_reactive(0)
    error = solara.use_reactive("")

    def add(design):
        kept = [d for d in designs.value if d.name != design.name]
        designs.set([*kept, design])

    def run():
        from clustersim.lab.runner import start_job

        try:
            setup = lf.check_setup({"fee_rate": float(fee.value) / 100 if _is_number(fee.value) else fee.value,
                                    "replicates": replicates.value, "packages": designs.value})
        except ValueError as err:
            error.set(str(err))  # worded at render, so a language switch re-words it
            return
        error.set("")
        done.set(0)
        job.set(start_job(setup))

    def poll():
        current = job.value
        if current is None:
            return
        while not current.finished:
            time.sleep(POLL_SECONDS)
            done.set(current.done)
        done.set(current.done)

    solara.use_thread(poll, dependencies=[job.value])

    def warm():
        from clustersim.lab.runner import warm_pool

        warm_pool()

    solara.use_effect(warm, [])  # the workers start while the user designs a package

    solara.Title(_("Package lab"))
    solara.Style(HIDE_ROUTE_TABS)
    with solara.Column(style={"padding": "12px", "max-width": "1300px"}):
        with solara.Row(justify="space-between"):
            solara.HTML(tag="h2", unsafe_innerHTML=_html(_("Package lab")))
            with solara.Row():
                solara.Button(_("Model page"), href="/", text=True, classes=["lab-model-link"])
                LanguageSwitch("lab")
        solara.Text(_("Design incentive packages, run them against offering nothing in the same worlds, "
                          "and compare take-off, jobs and cost."))
        with solara.Columns([1, 2]):
            PackageForm(add)
            with solara.Column():
                with solara.Card(_("County and runs")):
                    solara.InputText(_("The county's fee rate (%)"), value=fee)
                    solara.InputText(_("Replicates per package"), value=replicates)
                    if designs.value:
                        solara.Text(_("Packages to compare: {names}").format(
                            names=", ".join(d.name for d in designs.value)))
                    else:
                        solara.Text(_("No package added yet."))
                    with solara.Row():
                        solara.Button(_("Run"), on_click=run, color="primary", classes=["lab-run"],
                                      disabled=job.value is not None and not job.value.finished)
                        solara.Button(_("Clear packages"), on_click=lambda: designs.set([]), text=True)
                    if error.value:
                        solara.Error(_("Refused: {reason}").format(reason=error.value), classes=["lab-error"])
                _Progress(job.value, done.value)
                _Results(job.value, done.value)
                CheapestCard(fee.value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


@solara.component
def _Progress(job, done: int):
    _ = use_translator("lab")
    if job is None:
        return
    total = job.total
    solara.ProgressLinear(value=100 * done / total if total else 0, classes=["lab-progress"])
    if job.error:
        solara.Error(_("The runs stopped: {reason}").format(reason=job.error))
    elif done < total:
        solara.Text(_("{done} of {total} runs finished").format(done=done, total=total), classes=["lab-status"])
    else:
        solara.Text(_("All {total} runs finished in {seconds:.0f} s").format(
            total=total, seconds=job.all_results_seconds or 0), classes=["lab-status"])


@solara.component
def _Results(job, done: int):
    _ = use_translator("lab")
    table = solara.use_memo(lambda: None if job is None or done == 0 else comparison(job.frame(), job.meta),
                            [job, done])
    if table is None or table.empty:
        return
    finished = done >= job.total
    with solara.Card(_("Each package against offering nothing") if finished else _("Results so far")):
        header, rows = _table_rows(table, _)
        head = "".join(f"<th>{_html(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{_html(c)}</td>" for c in r) + "</tr>" for r in rows)
        solara.HTML(tag="table", unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>",
                    classes=["lab-table"], style={"font-size": "13px", "border-collapse": "collapse"})
        solara.Text(_("Money in 10,000 yuan; intervals are 95 %; jobs, revenue and return are against the same "
                      "world without the package."), style={"font-size": "12px"})
        if finished:
            solara.FigureMatplotlib(comparison_figure(table, _), format="png")
            with solara.Row():
                csv = table.to_csv(index=False)
                solara.FileDownload(csv, filename="package_comparison.csv", label=_("Download the comparison (CSV)"))
                for d in job.setup.packages:
                    solara.FileDownload(lf.scenario_toml(d, job.setup), filename=f"{d.name}.toml",
                                        label=_("Download {name} as a scenario (TOML)").format(name=d.name))


@solara.component
def CheapestCard(fee_text: str):
    """The cheapest package that works (clustersim.optimise) on the demo world, in the background:
    target, trials, then the cost-probability frontier as a figure and a table."""
    _ = use_translator("lab")
    target = solara.use_reactive("80")
    trials = solara.use_reactive("12")
    request = solara.use_reactive(None)
    progress = solara.use_reactive((0, 0))
    outcome = solara.use_reactive(None)
    error = solara.use_reactive("")

    def start():
        try:
            t, n, f = float(target.value) / 100, int(trials.value), float(fee_text) / 100
            if not (0 < t <= 1 and 1 <= n <= 200 and 0 <= f <= 0.2):
                raise ValueError
        except ValueError:
            error.set(N_("target must be a percentage in (0, 100], trials a whole number from 1 to 200"))
            return
        error.set("")
        outcome.set(None)
        progress.set((0, n))
        request.set((t, n, f))

    def search():
        if request.value is None:
            return
        from clustersim.optimise.frontier import frontier_table
        from clustersim.optimise.search import Levers, cheapest_package
        from clustersim.optimise.world import DemoWorld

        t, n, f = request.value
        result = cheapest_package(DemoWorld(worlds=4, replicates=3, fee=f), Levers(), target=t, trials=n,
                                  progress=lambda i, total: progress.set((i, total)))
        outcome.set((result, frontier_table(result.trials)))

    solara.use_thread(search, dependencies=[request.value])
    with solara.Card(_("What is the cheapest package that works?")):
        solara.Text(_("Lowest present value of incentives whose take-off probability reaches the target in at least "
                      "three of four uncertain worlds (the 25 % quantile), on the demo world."),
                    style={"font-size": "13px"})
        with solara.Row():
            solara.InputText(_("Target take-off probability (%)"), value=target)
            solara.InputText(_("Packages to try"), value=trials)
        busy = request.value is not None and outcome.value is None
        solara.Button(_("Find the cheapest package"), on_click=start, color="primary", disabled=busy,
                      classes=["lab-cheapest"])
        if error.value:  # a catalogue id, worded at render
            solara.Error(_("Refused: {reason}").format(reason=_(error.value)))
        i, total = progress.value
        if busy:
            solara.ProgressLinear(value=100 * i / total if total else 0)
            solara.Text(_("{done} of {total} packages tried").format(done=i, total=total))
        if outcome.value is not None:
            result, table = outcome.value
            if result.best is None:
                solara.Text(_("No package in the searched range reached the target take-off probability."))
            else:
                b = result.best
                solara.Text(_("Cheapest: depth {depth}, {years} years; present value of incentives {cost} wan "
                              "[{low}, {high}]; robust take-off probability {p}.").format(
                    depth=f"{b.params['depth']:g}", years=b.params["duration"], cost=f"{b.cost:,.0f}",
                    low=f"{b.cost_low:,.0f}", high=f"{b.cost_high:,.0f}", p=f"{b.robust_p:.0%}"))
            if len(table):
                from clustersim.optimise.frontier import frontier_figure

                solara.FigureMatplotlib(frontier_figure(table, request.value[0], current("lab"),
                                                        result.best.cost if result.best else None), format="png")
                header = [_("Subsidy depth (1 = face value)"), _("Years the package is offered"),
                          _("Take-off probability, robust (%)"), _("Present value of incentives paid (wan)")]
                head = "".join(f"<th>{_html(h)}</th>" for h in header)
                body = "".join(
                    f"<tr><td>{r['depth']:g}</td><td>{int(r['duration'])}</td><td>{r['robust_p']:.0%}</td>"
                    f"<td>{r['cost_pv']:,.0f} [{r['cost_pv_low']:,.0f}, {r['cost_pv_high']:,.0f}]</td></tr>"
                    for _i, r in table.iterrows())
                solara.HTML(tag="table", unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>",
                            classes=["lab-frontier"], style={"font-size": "13px"})
