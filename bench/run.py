"""Run every benchmark in one go: ``python -m bench.run [--records 1000000] [--quick]``.

Formflow and the hand-written baseline (bench/baseline) get the same generated leads, on SQLite files
under bench/results/. Measured: bulk insert, API create throughput and latency under load, list
(filter on an indexed field + sort + page of 50) and full-text search latency, each compared with the
baseline and with raw SQL on Formflow's own records table. Writes bench/results/latest.json and
latest.md and prints a table. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import formflow_side
from bench.baseline.app import LeadQuery, list_leads
from bench.baseline.models import create_schema
from bench.baseline.models import make_engine as baseline_engine
from bench.data import LoadResult, generate_leads, load_baseline, search_terms
from bench.http_load import Request, drive, send
from bench.measure import interleaved, summarize
from bench.report import write_reports
from bench.servers import REPO, ServedApp, gunicorn

RESULTS = REPO / "bench" / "results"
#: seed of the payloads the API create benchmark posts (not the loaded leads)
API_SEED = 99


@dataclass(frozen=True)
class Plan:
    """How much to measure: data size and repetitions."""

    records: int
    #: timed iterations per in-process latency benchmark (after ``warmup`` untimed ones)
    iterations: int
    warmup: int
    #: timed requests per sequential API latency benchmark
    api_iterations: int
    #: load generator: concurrent connections, warm-up and measured seconds
    concurrency: int
    load_warmup_s: float
    load_seconds: float
    #: rows for the like-for-like bulk insert comparison (service vs raw SQL), at the end of the load
    bulk_sample: int
    search_terms: int
    #: seconds one side of one latency benchmark may take at most (slow paths get fewer samples)
    budget_s: float


def make_plan(records: int | None, quick: bool, concurrency: int, seconds: float | None) -> Plan:
    """The full plan (1M leads, long runs) or the quick smoke plan (20k leads, short runs)."""
    if quick:
        records = records or 20_000
        return Plan(
            records=records,
            iterations=40,
            warmup=5,
            api_iterations=40,
            concurrency=concurrency,
            load_warmup_s=0.5,
            load_seconds=seconds or 2,
            bulk_sample=min(records, 1_000),
            search_terms=6,
            budget_s=3,
        )
    records = records or 1_000_000
    return Plan(
        records=records,
        iterations=400,
        warmup=40,
        api_iterations=300,
        concurrency=concurrency,
        load_warmup_s=3,
        load_seconds=seconds or 20,
        bulk_sample=min(records, 50_000),
        search_terms=12,
        budget_s=60,
    )


def fresh_dir(path: Path) -> Path:
    """``path`` emptied (database files of an earlier run removed)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` rounded, or None when undefined."""
    return round(numerator / denominator, 3) if denominator else None


# ---------------------------------------------------------------------------------------------- loads


def load_everything(plan: Plan, leads: list[dict[str, Any]], folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    """Create and fill both databases; measure bulk insert rates."""
    results: dict[str, Any] = {}
    engine = baseline_engine(f"sqlite:///{folder / 'baseline.db'}")
    create_schema(engine)
    print(f"loading {len(leads):,} leads into the baseline (executemany)...", flush=True)
    results["baseline_executemany"] = _load_figures(load_baseline(engine, leads))

    print(f"loading {len(leads):,} leads into Formflow (records.service.bulk_create)...", flush=True)
    setup = formflow_side.setup(f"sqlite:///{folder / 'formflow.db'}")
    results["formflow_bulk_create"] = _load_figures(formflow_side.load(setup, setup.form, leads))

    # Like for like, at the end of the load (the table already holds every lead): the same rows once
    # through the service and once as raw executemany, each into a fresh form of its own.
    sample = leads[: plan.bulk_sample]
    with setup.session() as session:
        service_form = formflow_side.create_form(session, setup.actor, setup.app, "leads_service_sample")
        raw_form = formflow_side.create_form(session, setup.actor, setup.app, "leads_raw_sample")
    print(f"bulk insert sample: {len(sample):,} rows through the service and as raw SQL...", flush=True)
    results["sample_rows"] = len(sample)
    results["formflow_bulk_create_sample"] = _load_figures(formflow_side.load(setup, service_form, sample))
    stored = formflow_side.stored_rows(setup, len(sample))
    results["raw_sql_executemany_sample"] = _load_figures(formflow_side.raw_insert(setup, raw_form, stored))
    results["ratio_service_vs_raw_sql"] = ratio(
        results["formflow_bulk_create_sample"]["rows_per_s"],
        results["raw_sql_executemany_sample"]["rows_per_s"],
    )
    results["ratio_service_vs_baseline"] = ratio(
        results["formflow_bulk_create"]["rows_per_s"], results["baseline_executemany"]["rows_per_s"]
    )
    return engine, setup, results


def reuse(plan: Plan, folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    """The databases and bulk figures of the last run (``--reuse``), when it loaded as many leads."""
    saved = json.loads((folder / "bulk.json").read_text())
    if saved["records"] != plan.records:
        raise SystemExit(f"--reuse: the last run loaded {saved['records']:,} leads, not {plan.records:,}")
    engine = baseline_engine(f"sqlite:///{folder / 'baseline.db'}")
    setup = formflow_side.attach(f"sqlite:///{folder / 'formflow.db'}")
    return engine, setup, {**saved["bulk"], "reused": True}


def _load_figures(result: LoadResult) -> dict[str, Any]:
    return {"rows": result.rows, "seconds": round(result.seconds, 3), "rows_per_s": round(result.rate, 1)}


# ----------------------------------------------------------------------------------- in-process reads


def inprocess_reads(
    plan: Plan, baseline: Any, setup: formflow_side.Setup, terms: list[str]
) -> dict[str, Any]:
    """List and search latency in-process: Formflow's query layer, the baseline's query, raw SQL."""
    from sqlalchemy.orm import sessionmaker

    results: dict[str, Any] = {"list": {}, "list_next_page": {}, "search": {}, "plans": {}}
    baseline_session = sessionmaker(bind=baseline, expire_on_commit=False)()
    formflow_session = setup.session()
    raw = setup.engine.raw_connection()
    raw_list = formflow_side.raw_list_sql(setup)
    raw_search = formflow_side.raw_search_sql(setup)
    try:
        # first page
        def formflow_list(_i: int) -> Any:
            formflow_session.rollback()  # each request reads a fresh snapshot, as a web request does
            return formflow_side.query_page(formflow_session, setup, formflow_side.list_query())

        def baseline_list(_i: int) -> Any:
            baseline_session.rollback()
            return list_leads(baseline_session, LeadQuery(stage=formflow_side.LIST_STAGE))

        results["list"] = _compare(
            plan,
            {
                "formflow_query_layer": formflow_list,
                "baseline": baseline_list,
                "raw_sql_records": lambda _i: formflow_side.run_raw(raw, raw_list),
            },
        )
        # second page, through each side's keyset cursor
        formflow_cursor = formflow_list(0).next_cursor
        baseline_cursor = baseline_list(0)[1]
        results["list_next_page"] = _compare(
            plan,
            {
                "formflow_query_layer": lambda _i: (
                    formflow_session.rollback(),
                    formflow_side.query_page(
                        formflow_session, setup, formflow_side.list_query(formflow_cursor)
                    ),
                ),
                "baseline": lambda _i: (
                    baseline_session.rollback(),
                    list_leads(
                        baseline_session, LeadQuery(stage=formflow_side.LIST_STAGE, after=baseline_cursor)
                    ),
                ),
            },
        )
        phrases = ['"' + term.replace('"', '""') + '"' for term in terms]
        results["search"] = _compare(
            plan,
            {
                "formflow_query_layer": lambda i: (
                    formflow_session.rollback(),
                    formflow_side.query_page(
                        formflow_session, setup, formflow_side.search_query(terms[i % len(terms)])
                    ),
                ),
                "baseline": lambda i: (
                    baseline_session.rollback(),
                    list_leads(baseline_session, LeadQuery(search=terms[i % len(terms)], sort="-id")),
                ),
                "raw_sql_records": lambda i: formflow_side.run_raw(
                    raw, raw_search, (phrases[i % len(phrases)],)
                ),
            },
        )
        results["search"]["terms"] = terms
        results["plans"] = {
            "raw_sql_list": formflow_side.query_plan(setup.engine, raw_list),
            "raw_sql_search": formflow_side.query_plan(setup.engine, raw_search, (phrases[0],)),
        }
        results["plans"]["formflow_query_layer_list"] = formflow_side.traced_plans(
            setup.engine, lambda: formflow_list(0)
        )
        results["plans"]["formflow_query_layer_search"] = formflow_side.traced_plans(
            setup.engine,
            lambda: formflow_side.query_page(formflow_session, setup, formflow_side.search_query(terms[0])),
        )
        first = formflow_list(0)
        results["list"]["matching_records"] = first.total
        results["checks"] = same_results(
            [item["data"]["amount"] for item in first.items],
            [f"{lead.amount:.2f}" for lead in baseline_list(0)[0]],
            [row["data"]["amount"] for row in formflow_side.run_raw(raw, raw_list)],
        )
    finally:
        raw.close()
        baseline_session.close()
        formflow_session.close()
    return results


def same_results(formflow: list[str], baseline: list[str], raw: list[str]) -> dict[str, Any]:
    """Check that the three sides return the same first page (amounts in order): equal work is compared."""
    problems = []
    if formflow != baseline:
        problems.append("Formflow's first page differs from the baseline's")
    if formflow != raw:
        problems.append("Formflow's first page differs from raw SQL's")
    for problem in problems:
        print("WARNING:", problem, file=sys.stderr)
    return {"list_first_page_identical": not problems, "problems": problems}


def _compare(plan: Plan, calls: dict[str, Callable[[int], Any]]) -> dict[str, Any]:
    """Time each call (interleaved in rounds, so background load hits every side alike) and add ratios."""
    samples = interleaved(calls, warmup=plan.warmup, iterations=plan.iterations, budget_s=plan.budget_s)
    return _summaries(samples, "formflow_query_layer")


def _summaries(samples: dict[str, list[float]], formflow: str) -> dict[str, Any]:
    summaries = {name: summarize(values) for name, values in samples.items()}
    results: dict[str, Any] = {name: summary.as_dict() for name, summary in summaries.items()}
    base = summaries.get("baseline")
    for name, summary in summaries.items():
        if name != "baseline" and base is not None:
            results[name]["p50_vs_baseline"] = ratio(summary.p50_ms, base.p50_ms)
    raw = summaries.get("raw_sql_records")
    if raw is not None:
        results[formflow]["p50_vs_raw_sql"] = ratio(summaries[formflow].p50_ms, raw.p50_ms)
    return results


# ------------------------------------------------------------------------------------------------ API


def _json_request(method: str, path: str, body: Any = None, token: str | None = None) -> Request:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return Request(method, path, None if body is None else json.dumps(body).encode(), headers)


def _sequential(plan: Plan, servers: dict[str, tuple[Any, list[Request]]]) -> dict[str, Any]:
    """Latency of one request at a time per server, keep-alive, rounds interleaved between servers."""
    import http.client

    connections = {
        name: http.client.HTTPConnection(server.host, server.port, timeout=120)
        for name, (server, _requests) in servers.items()
    }

    def caller(name: str, requests: list[Request]) -> Callable[[int], None]:
        return lambda number: _checked(name, send(connections[name], requests[number % len(requests)]))

    calls = {name: caller(name, requests) for name, (_server, requests) in servers.items()}
    try:
        samples = interleaved(
            calls, warmup=plan.warmup, iterations=plan.api_iterations, budget_s=plan.budget_s
        )
    finally:
        for connection in connections.values():
            connection.close()
    return _summaries(samples, "formflow")


def _checked(name: str, response: tuple[int, bytes]) -> None:
    status, body = response
    if status != 200:
        raise RuntimeError(f"{name}: HTTP {status}: {body[:500]!r}")


def api_benchmarks(plan: Plan, folder: Path, setup: formflow_side.Setup, terms: list[str]) -> dict[str, Any]:
    """Serve both apps with gunicorn (2 gthread workers each) and measure list, search and create."""
    payloads = generate_leads(min(20_000, max(2_000, plan.records)), seed=API_SEED)
    form_id = setup.form.id
    token = setup.token
    baseline_spec = f"bench.baseline:create_app({'sqlite:///' + str(folder / 'baseline.db')!r})"
    overrides = {"DATABASE_URL": f"sqlite:///{folder / 'formflow.db'}", "SECRET_KEY": "bench-secret-key"}
    formflow_spec = f"formflow.app:create_app({overrides!r}, {str(folder / 'instance')!r})"
    results: dict[str, Any] = {}
    # The servers import the code as it is now; bring the schema up to it (new tables only).
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from formflow.db import make_engine; from formflow.models import Base; "
            "Base.metadata.create_all(make_engine(sys.argv[1]))",
            overrides["DATABASE_URL"],
        ],
        cwd=REPO,
        check=True,
    )
    apps = (
        ServedApp(baseline_spec, folder / "baseline-gunicorn.log", "/health"),
        ServedApp(formflow_spec, folder / "formflow-gunicorn.log", "/"),
    )
    with gunicorn(*apps) as (baseline, formflow):
        print("API: list and search latency (sequential requests)...", flush=True)
        results["list"] = _sequential(
            plan,
            {
                "baseline": (
                    baseline,
                    [_json_request("GET", f"/leads?stage={formflow_side.LIST_STAGE}&limit=50")],
                ),
                "formflow": (
                    formflow,
                    [_json_request("GET", formflow_side.api_list_path(form_id), token=token)],
                ),
            },
        )
        results["search"] = _sequential(
            plan,
            {
                "baseline": (
                    baseline,
                    [_json_request("GET", f"/leads?q={_quote(term)}&sort=-id&limit=50") for term in terms],
                ),
                "formflow": (
                    formflow,
                    [
                        _json_request("GET", formflow_side.api_search_path(form_id, term), token=token)
                        for term in terms
                    ],
                ),
            },
        )
        print(
            f"API: create throughput, {plan.concurrency} connections, {plan.load_seconds:g} s each...",
            flush=True,
        )
        create: dict[str, Any] = {}
        create["baseline"] = drive(
            baseline.host,
            baseline.port,
            [_json_request("POST", "/leads", payload) for payload in payloads],
            expect_status=201,
            concurrency=plan.concurrency,
            warmup_s=plan.load_warmup_s,
            duration_s=plan.load_seconds,
        ).as_dict()
        create["formflow"] = drive(
            formflow.host,
            formflow.port,
            [
                _json_request(
                    "POST",
                    formflow_side.api_create_path(form_id),
                    formflow_side.api_create_body(payload),
                    token=token,
                )
                for payload in payloads
            ],
            expect_status=201,
            concurrency=plan.concurrency,
            warmup_s=plan.load_warmup_s,
            duration_s=plan.load_seconds,
        ).as_dict()
        create["ratio_formflow_vs_baseline"] = ratio(
            create["formflow"]["requests_per_s"], create["baseline"]["requests_per_s"]
        )
        create["concurrency"] = plan.concurrency
        create["workers"] = "gunicorn, 2 gthread workers x 4 threads"
        results["create"] = create
    return results


def _quote(term: str) -> str:
    from urllib.parse import quote

    return quote(term, safe="")


# ----------------------------------------------------------------------------------------------- main


def environment(plan: Plan) -> dict[str, Any]:
    """What the figures were measured on."""
    from formflow.db import _sqlite_module

    module = _sqlite_module("auto")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": module.sqlite_version if module else __import__("sqlite3").sqlite_version,
        "commit": commit,
        "records": plan.records,
        "plan": plan.__dict__,
        "load_average_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every benchmark, print the table and write the reports."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records", type=int, default=None, help="leads to load (default 1,000,000; 20,000 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer leads, short measurements")
    parser.add_argument("--concurrency", type=int, default=8, help="load generator connections (default 8)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="measured seconds per create-throughput run (default 20; 3 with --quick)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure on the databases the last run loaded (same --records); its bulk figures are reported",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively.*")
    plan = make_plan(args.records, args.quick, args.concurrency, args.seconds)
    started = time.perf_counter()
    results: dict[str, Any] = {"environment": environment(plan)}
    folder = args.out / "run" if args.reuse else fresh_dir(args.out / "run")

    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 1)
        mark = now

    print(f"generating {plan.records:,} leads...", flush=True)
    leads = generate_leads(plan.records)
    terms = search_terms(leads, plan.search_terms)
    phase("generate")
    if args.reuse:
        baseline, setup, results["bulk"] = reuse(plan, folder)
    else:
        baseline, setup, results["bulk"] = load_everything(plan, leads, folder)
        (folder / "bulk.json").write_text(json.dumps({"records": plan.records, "bulk": results["bulk"]}))
    del leads
    phase("load")
    print("in-process list and search latency...", flush=True)
    results["inprocess"] = inprocess_reads(plan, baseline, setup, terms)
    baseline.dispose()
    setup.engine.dispose()
    phase("inprocess")
    results["api"] = api_benchmarks(plan, folder, setup, terms)
    phase("api")
    results["environment"]["phase_seconds"] = phases
    results["environment"]["load_average_end"] = os.getloadavg()
    results["environment"]["total_seconds"] = round(time.perf_counter() - started, 1)
    write_reports(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
