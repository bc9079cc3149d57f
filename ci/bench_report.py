#!/usr/bin/env python3
"""Turns the benchmark results of one `ci/bench.sh` run into the cross-language
summary of docs/BENCHMARKS.md: one table of ratios to each language's native
alternative, and a plot (SVG) of throughput against producer count.

  ci/bench_report.py RESULTS_DIR SVG_PATH   # prints the Markdown summary

RESULTS_DIR holds one JSON file per language (written by the core benchmark
and by ci/bench-<lang>.sh):

  {"language": "Python", "native": "queue.Queue", "command": "...",
   "environment": "...", "plot_case": "<case>",
   "results": [{"case": "...", "producers": 1, "impl": "...",
                "role": "funnelq" | "native" | "other", "msgs_per_sec": 1.0}, ...]}

The plot is drawn by hand in SVG so that the script needs nothing beyond the
standard library on a fresh machine.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape

# Table and plot order: the core first, then the bindings as the README lists them.
ORDER = ["Rust", "C", "Go", "Python", "Node.js", "WASM (Node workers)", "WASM (Chromium)", "NATS bridge"]


def load(results_dir: Path) -> list[dict]:
    reports = []
    for path in sorted(results_dir.glob("*.json")):
        report = json.loads(path.read_text())
        problems = validate(report)
        if problems:
            raise SystemExit(f"{path}: " + "; ".join(problems))
        reports.append(report)
    rank = {name: i for i, name in enumerate(ORDER)}
    reports.sort(key=lambda r: (rank.get(r["language"], len(ORDER)), r["language"]))
    return reports


def validate(report: dict) -> list[str]:
    """The schema's rules: one native record per (case, producers), at least
    one funnelq record beside it, and a plot case that exists."""
    problems = []
    for key in ("language", "native", "command", "plot_case", "results"):
        if key not in report:
            problems.append(f"missing key {key!r}")
    if problems:
        return problems
    roles = defaultdict(lambda: defaultdict(int))
    for r in report["results"]:
        if r.get("role") not in ("funnelq", "native", "other"):
            problems.append(f"bad role {r.get('role')!r}")
        if not (isinstance(r.get("msgs_per_sec"), (int, float)) and r["msgs_per_sec"] > 0):
            problems.append(f"bad msgs_per_sec in {r}")
        roles[(r["case"], r["producers"])][r.get("role")] += 1
    for (case, p), count in roles.items():
        if count["native"] != 1 or count["funnelq"] < 1:
            problems.append(f"{case!r} P={p}: {count['native']} native and {count['funnelq']} funnelq records")
    if report["plot_case"] not in {case for case, _ in roles}:
        problems.append(f"plot_case {report['plot_case']!r} has no results")
    return problems


def ratios(report: dict) -> dict[tuple[str, str], dict[int, float]]:
    """(case, funnelq impl) -> {producers: funnelq msg/s ÷ native msg/s}."""
    native = {(r["case"], r["producers"]): r["msgs_per_sec"] for r in report["results"] if r["role"] == "native"}
    out: dict[tuple[str, str], dict[int, float]] = {}
    for r in report["results"]:
        if r["role"] == "funnelq":
            out.setdefault((r["case"], r["impl"]), {})[r["producers"]] = (
                r["msgs_per_sec"] / native[(r["case"], r["producers"])]
            )
    return out


def write_report(path: str, report: dict) -> None:
    """Checks one language's report against the schema and writes it as JSON
    (what each ci/bench-<lang>.sh leaves for the summary)."""
    problems = validate(report)
    if problems:
        raise SystemExit(f"{path}: " + "; ".join(problems))
    Path(path).write_text(json.dumps(report, indent=1) + "\n")


def producers_table(report: dict, native_label: str) -> str:
    """One language's own figures: per case, a row per producer count with the
    messages per second of every implementation, then each funnelq form's
    ratio to the native one (headed `<form> ÷ <native_label>`)."""
    results = report["results"]
    impls = list(dict.fromkeys(r["impl"] for r in results))
    funnelq = [i for i in impls if any(r["impl"] == i and r["role"] == "funnelq" for r in results)]
    rate = {(r["case"], r["producers"], r["impl"]): r["msgs_per_sec"] for r in results}
    native = {(r["case"], r["producers"]): r["msgs_per_sec"] for r in results if r["role"] == "native"}
    lines = []
    for case in dict.fromkeys(c for c, _ in native):
        lines += [f"**{case}**", ""]
        ratio_heads = " | ".join(f"{i} ÷ {native_label}" for i in funnelq)
        lines.append("| producers | " + " | ".join(impls) + " | " + ratio_heads + " |")
        lines.append("|---:|" + "---:|" * (len(impls) + len(funnelq)))
        for p in sorted(p for c, p in native if c == case):
            cells = [f"{rate[(case, p, i)]:,}" for i in impls]
            cells += [f"{rate[(case, p, i)] / native[(case, p)]:.2f}x" for i in funnelq]
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def ratio_table(reports: list[dict]) -> str:
    counts = sorted({r["producers"] for rep in reports for r in rep["results"]})
    head = "| language | vs (native) | case | funnelq form | " + " | ".join(f"P={p}" for p in counts) + " |"
    lines = [head, "|---|---|---|---|" + "---:|" * len(counts)]
    for rep in reports:
        for (case, impl), by_p in ratios(rep).items():
            cells = [f"{by_p[p]:.2f}×" if p in by_p else "" for p in counts]
            lines.append(f"| {rep['language']} | {rep['native']} | {case} | {impl} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fmt_rate(v: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:.3g}{unit}"
    return f"{v:.3g}"


def nice_ceiling(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above v (a round axis top)."""
    if v <= 0:
        return 1.0
    exp = math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        if top >= v:
            return top
    return 10 ** (exp + 1)


PALETTE = ["#1b6ac9", "#0a8f6a", "#7b3fb5", "#c2571a"]  # funnelq forms
NATIVE_COLOUR = "#555555"


def plot_svg(reports: list[dict]) -> str:
    cols = 3
    # One legend line per series, so that long names never overlap.
    most_series = max(
        len({r["impl"] for r in rep["results"] if r["case"] == rep["plot_case"] and r["role"] != "other"})
        for rep in reports
    )
    margin = dict(left=58, right=12, top=46, bottom=40 + 13 * most_series)
    panel_w, panel_h = 330, 190 + margin["bottom"]
    rows = math.ceil(len(reports) / cols)
    width, height = cols * panel_w, rows * panel_h + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">'
        "funnelq throughput against producer count (messages/s; dashed: the native alternative)</text>",
    ]
    for i, rep in enumerate(reports):
        x0 = (i % cols) * panel_w
        y0 = 40 + (i // cols) * panel_h
        series: dict[str, dict[int, float]] = defaultdict(dict)
        native_name = None
        for r in rep["results"]:
            if r["case"] != rep["plot_case"] or r["role"] == "other":
                continue
            series[r["impl"]][r["producers"]] = r["msgs_per_sec"]
            if r["role"] == "native":
                native_name = r["impl"]
        counts = sorted({p for s in series.values() for p in s})
        top = nice_ceiling(max(v for s in series.values() for v in s.values()))
        px0, px1 = x0 + margin["left"], x0 + panel_w - margin["right"]
        py0, py1 = y0 + margin["top"], y0 + panel_h - margin["bottom"]

        def sx(p: int) -> float:
            if len(counts) == 1:
                return (px0 + px1) / 2
            # Producer counts double (1, 2, 4, 8): equal steps on a log axis.
            lo, hi = math.log2(counts[0]), math.log2(counts[-1])
            return px0 + (math.log2(p) - lo) / (hi - lo) * (px1 - px0)

        def sy(v: float) -> float:
            return py1 - v / top * (py1 - py0)

        out.append(
            f'<text x="{x0 + panel_w / 2}" y="{y0 + 14}" text-anchor="middle" font-size="13" '
            f'font-weight="bold">{escape(rep["language"])}</text>'
        )
        out.append(
            f'<text x="{x0 + panel_w / 2}" y="{y0 + 28}" text-anchor="middle" fill="#444">'
            f"{escape(rep['plot_case'])}</text>"
        )
        for k in range(5):
            v = top * k / 4
            y = sy(v)
            out.append(f'<line x1="{px0}" y1="{y:.1f}" x2="{px1}" y2="{y:.1f}" stroke="#e3e3e3"/>')
            out.append(f'<text x="{px0 - 4}" y="{y + 4:.1f}" text-anchor="end">{fmt_rate(v)}</text>')
        for p in counts:
            out.append(f'<text x="{sx(p):.1f}" y="{py1 + 14}" text-anchor="middle">{p}</text>')
        out.append(f'<text x="{(px0 + px1) / 2}" y="{py1 + 27}" text-anchor="middle" fill="#444">producers</text>')
        out.append(f'<line x1="{px0}" y1="{py1}" x2="{px1}" y2="{py1}" stroke="#888"/>')
        out.append(f'<line x1="{px0}" y1="{py0}" x2="{px0}" y2="{py1}" stroke="#888"/>')

        legend = []
        colour_i = 0
        for name, points in series.items():
            native = name == native_name
            colour = NATIVE_COLOUR if native else PALETTE[colour_i % len(PALETTE)]
            colour_i += 0 if native else 1
            dash = ' stroke-dasharray="5,3"' if native else ""
            path = " ".join(f"{sx(p):.1f},{sy(v):.1f}" for p, v in sorted(points.items()))
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            for p, v in sorted(points.items()):
                out.append(f'<circle cx="{sx(p):.1f}" cy="{sy(v):.1f}" r="2.5" fill="{colour}"/>')
            legend.append((name, colour, dash))
        for j, (name, colour, dash) in enumerate(legend):
            ly = py1 + 42 + j * 13
            lx = px0
            out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 16}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
            out.append(f'<text x="{lx + 20}" y="{ly}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    results_dir, svg_path = Path(sys.argv[1]), Path(sys.argv[2])
    reports = load(results_dir)
    if not reports:
        raise SystemExit(f"no benchmark results in {results_dir}")
    svg_path.write_text(plot_svg(reports))
    print("## Ratios to each language's native alternative")
    print()
    print(
        "Throughput of funnelq divided by the throughput of the alternative a user of that language "
        "would otherwise pick, same run, same shape (above 1 means funnelq is faster). "
        "P is the number of producers feeding one consumer. "
        "Each language's section below has the absolute figures and the other peers."
    )
    print()
    print(ratio_table(reports))
    print()
    print(f"![throughput against producer count]({svg_path.name})")
    print()
    print("How each row was run (rerun one alone with its command):")
    print()
    for rep in reports:
        env = f" ({rep['environment']})" if rep.get("environment") else ""
        print(f"- {rep['language']}: `{rep['command']}`{env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
