"""Turn the results of a run into a printed table, bench/results/latest.json and latest.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: the issue's targets: (key, description, threshold, comparison)
BULK_TARGET = 20_000
CREATE_RATIO_TARGET = 0.7
LIST_P50_TARGET_MS = 30.0


@dataclass(frozen=True)
class Table:
    """A titled table of rows (all cells already formatted)."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _n(value: Any, places: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{places}f}" if isinstance(value, float) else str(value)


def _x(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}x"


def tables(results: dict[str, Any]) -> list[Table]:
    """The report's tables, in reading order."""
    bulk = results["bulk"]
    sample = bulk["sample_rows"]
    rows_bulk = [
        (
            "Formflow records.service.bulk_create (full load)",
            _n(bulk["formflow_bulk_create"]["rows"]),
            _n(bulk["formflow_bulk_create"]["seconds"], 2),
            _n(bulk["formflow_bulk_create"]["rows_per_s"]),
            _x(bulk["ratio_service_vs_baseline"]) + " of baseline",
        ),
        (
            "Baseline executemany into leads (+FTS triggers)",
            _n(bulk["baseline_executemany"]["rows"]),
            _n(bulk["baseline_executemany"]["seconds"], 2),
            _n(bulk["baseline_executemany"]["rows_per_s"]),
            "",
        ),
        (
            f"Formflow bulk_create, {sample:,} more rows",
            _n(sample),
            _n(bulk["formflow_bulk_create_sample"]["seconds"], 2),
            _n(bulk["formflow_bulk_create_sample"]["rows_per_s"]),
            _x(bulk["ratio_service_vs_raw_sql"]) + " of raw SQL",
        ),
        (
            f"Raw SQL executemany into records, {sample:,} rows",
            _n(sample),
            _n(bulk["raw_sql_executemany_sample"]["seconds"], 2),
            _n(bulk["raw_sql_executemany_sample"]["rows_per_s"]),
            "",
        ),
    ]
    create = results["api"]["create"]
    rows_create = [
        (
            label,
            _n(create[key]["requests_per_s"]),
            _n(create[key]["p50_ms"], 2),
            _n(create[key]["p99_ms"], 2),
            _n(create[key]["requests"]),
            _n(create[key]["errors"]),
        )
        for key, label in (
            ("formflow", "Formflow POST /api/v1/forms/<id>/records"),
            ("baseline", "Baseline POST /leads"),
        )
    ]
    rows_create.append(
        ("Formflow / baseline throughput", _x(create["ratio_formflow_vs_baseline"]), "", "", "", "")
    )
    return [
        Table("Bulk insert", ("path", "rows", "seconds", "rows/s", "ratio"), rows_bulk),
        Table(
            f"API create under load ({create['concurrency']} connections, {create['workers']})",
            ("endpoint", "req/s", "p50 ms", "p99 ms", "requests", "errors"),
            rows_create,
        ),
        _latency_table("List: stage = qualified, sort -amount, page of 50", results, "list"),
        _latency_table("List: second page through the keyset cursor", results, "list_next_page"),
        _latency_table("Full-text search: one term, newest first, page of 50", results, "search"),
    ]


def _latency_table(title: str, results: dict[str, Any], key: str) -> Table:
    inprocess = results["inprocess"][key]
    api = results["api"].get(key, {})
    labels = (
        (inprocess, "formflow_query_layer", "Formflow query layer (in-process)"),
        (inprocess, "raw_sql_records", "Raw SQL on Formflow's records table"),
        (inprocess, "baseline", "Baseline query (in-process)"),
        (api, "formflow", "Formflow API (gunicorn)"),
        (api, "baseline", "Baseline API (gunicorn)"),
    )
    rows = []
    for source, name, label in labels:
        figures = source.get(name)
        if not figures:
            continue
        versus = _x(figures.get("p50_vs_baseline")) if name != "baseline" else ""
        rows.append(
            (
                label,
                _n(figures["p50_ms"], 2),
                _n(figures["p99_ms"], 2),
                _n(figures["count"]),
                versus,
                _x(figures.get("p50_vs_raw_sql")) if "p50_vs_raw_sql" in figures else "",
            )
        )
    return Table(title, ("path", "p50 ms", "p99 ms", "samples", "p50 vs baseline", "p50 vs raw SQL"), rows)


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each target of the issue: what, the measured value, met or not."""
    bulk = results["bulk"]["formflow_bulk_create"]["rows_per_s"]
    create = results["api"]["create"]["ratio_formflow_vs_baseline"] or 0.0
    layer = results["inprocess"]["list"]["formflow_query_layer"]["p50_ms"]
    api = results["api"]["list"]["formflow"]["p50_ms"]
    return [
        (
            f"bulk insert through the record service >= {BULK_TARGET:,} records/s",
            f"{bulk:,.0f}/s",
            bulk >= BULK_TARGET,
        ),
        (
            f"API create throughput >= {CREATE_RATIO_TARGET}x baseline",
            f"{create:.2f}x",
            create >= CREATE_RATIO_TARGET,
        ),
        (
            f"list p50 <= {LIST_P50_TARGET_MS:g} ms (query layer)",
            f"{layer:.2f} ms",
            layer <= LIST_P50_TARGET_MS,
        ),
        (f"list p50 <= {LIST_P50_TARGET_MS:g} ms (API)", f"{api:.2f} ms", api <= LIST_P50_TARGET_MS),
    ]


def _text(table: Table) -> str:
    widths = [
        max(len(row[index]) for row in [table.header, *table.rows]) for index in range(len(table.header))
    ]
    lines = [table.title]
    for row in [table.header, *table.rows]:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells))
    return "\n".join(lines)


def _markdown(table: Table) -> str:
    lines = [
        f"### {table.title}",
        "",
        "| " + " | ".join(table.header) + " |",
        "| --- " + "| ---: " * (len(table.header) - 1) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table.rows]
    return "\n".join(lines)


def _heading(results: dict[str, Any]) -> str:
    environment = results["environment"]
    load = (environment["load_average_start"][0], environment["load_average_end"][0])
    return (
        f"{environment['records']:,} leads, SQLite {environment['sqlite']}, Python {environment['python']}, "
        f"{environment['cpus']} CPUs, commit {environment['commit']}, "
        f"load average {load[0]:.2f} -> {load[1]:.2f}, "
        f"{environment['total_seconds']:g} s in all"
    )


def render_text(results: dict[str, Any]) -> str:
    """The whole report as fixed-width text."""
    parts = ["Formflow benchmarks: " + _heading(results)]
    parts += [_text(table) for table in tables(results)]
    parts.append(
        "Targets\n"
        + "\n".join(
            f"  [{'PASS' if met else 'FAIL'}] {what}: {value}" for what, value, met in targets(results)
        )
    )
    return "\n\n".join(parts)


def render_markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    parts = ["# Formflow benchmarks", "", _heading(results) + ".", ""]
    parts += [_markdown(table) + "\n" for table in tables(results)]
    parts += ["### Targets", ""]
    parts += [f"- {'PASS' if met else 'FAIL'}: {what}: {value}" for what, value, met in targets(results)]
    plans = results["inprocess"].get("plans", {})
    if plans:
        parts += ["", "### Query plans", ""]
        for name, entries in plans.items():
            for entry in entries if entries and isinstance(entries[0], dict) else [{"plan": entries}]:
                parts.append(f"- {name}: " + "; ".join(f"`{line}`" for line in entry["plan"]))
    checks = results["inprocess"].get("checks", {})
    if checks:
        verdict = "identical" if checks["list_first_page_identical"] else "; ".join(checks["problems"])
        parts += ["", f"First list page on the three sides (amounts in order): {verdict}."]
    parts += ["", "Medians after warm-up runs; see bench/README.md for method and caveats.", ""]
    return "\n".join(parts)


def write_reports(results: dict[str, Any], folder: Path) -> None:
    """Print the text report and write latest.json and latest.md into ``folder``."""
    results["targets"] = [
        {"target": what, "measured": value, "met": met} for what, value, met in targets(results)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    (folder / "latest.md").write_text(render_markdown(results))
    print()
    print(render_text(results))
    print(f"\nwritten: {folder / 'latest.json'}, {folder / 'latest.md'}")
