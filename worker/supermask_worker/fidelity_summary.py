"""The fidelity study's results, from its run files alone (OUT/records/<id>.json): summary.json, tables.md and the
SVG plots that docs/results.md quotes.

Network-level dying ratios are weighted by each layer's edges (the fraction of all the network's edges never
selected); the mean over layers is given beside it, as the studio shows both.
"""

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from statistics import mean, stdev
from typing import Dict, List, Optional

from .svgplot import Series, grid_chart, line_chart

# The paper's case study (Iwasawa et al., JSAI 2023, Table 1; ResNet-18 on CIFAR-10 after full training): only its
# ends are quoted in the shared notes, with k - d_T about 0.20 at every k.
PAPER_ENDS = [(0.2, 0.028), (0.832, 0.656)]


def network_dying(layers: List[dict], edges: Dict[str, int], key: str) -> Dict[str, float]:
    total = sum(edges[l["name"]] for l in layers)
    weighted = sum(l[key] * edges[l["name"]] for l in layers) / total
    return {"weighted": round(weighted, 4), "mean": round(mean(l[key] for l in layers), 4)}


def run_result(record: dict, run: str) -> dict:
    """One run of a record: final test accuracy, final d_T (and at the target rate), and per layer over steps."""
    edges = {l["name"]: l["edges"] for l in record["summary"]["layers"]}
    reports = [r for r in record["reports"] if r["run"] == run]
    final = next(e for e in record["evals"] if e["run"] == run and e["reason"] == "final")
    last = reports[-1]
    names = [l["name"] for l in last["layers"]]
    return {
        "steps": last["step"],
        "testAccuracy": round(final["testAccuracy"], 4),
        "dyingRatio": network_dying(last["layers"], edges, "dyingRatio"),
        "dyingRatioAtTarget": network_dying(last["layers"], edges, "dyingRatioAtTarget"),
        "imagesPerSecond": round(mean(r["imagesPerSecond"] for r in reports), 1),
        "overSteps": {
            "step": [r["step"] for r in reports],
            "pruningRate": [r["pruningRate"] for r in reports],
            "layers": names,
            "dyingRatio": [[round(r["layers"][i]["dyingRatio"], 4) for r in reports] for i in range(len(names))],
            "dyingRatioAtTarget": [
                [round(r["layers"][i]["dyingRatioAtTarget"], 4) for r in reports] for i in range(len(names))
            ],
        },
    }


def mean_sd(values: List[float]) -> dict:
    return {"mean": round(mean(values), 4), "sd": round(stdev(values), 4) if len(values) > 1 else 0.0, "n": len(values)}


def load_records(out: Path, ids: List[str]) -> Dict[str, dict]:
    records = {}
    for i in ids:
        path = out / "records" / f"{i}.json"
        if path.is_file():
            records[i] = json.loads(path.read_text(encoding="utf-8"))
    return records


def case_study(records: Dict[str, dict]) -> List[dict]:
    """EP's final d_T per k and budget: the case-study runs, with the comparison's EP run (k = target) of the same
    budget and seed."""
    cases = [r for i, r in records.items() if i.startswith("case-")]
    budgets = {(r["config"]["epochs"], r["config"]["seed"]) for r in cases}
    same = [records[i] for e, s in budgets if (i := f"compare-e{e:g}-s{s}") in records]
    rows = []
    for record in sorted(cases + same, key=lambda r: (r["config"]["epochs"], r["config"]["targetPruningRate"])):
        k = record["config"]["targetPruningRate"]
        ep = run_result(record, "ep")
        d = ep["dyingRatio"]
        rows.append(
            {
                "epochs": record["config"]["epochs"],
                "k": k,
                "keptFraction": round(1 - k, 4),
                "dT": d["weighted"],
                "dTLayerMean": d["mean"],
                "kMinusDT": round(k - d["weighted"], 4),
                "testAccuracy": ep["testAccuracy"],
                "steps": ep["steps"],
                "run": record["id"],
            }
        )
    return rows


def comparisons(records: Dict[str, dict]) -> List[dict]:
    by_budget: Dict[float, List[dict]] = {}
    for i, r in records.items():
        if i.startswith("compare-"):
            by_budget.setdefault(r["config"]["epochs"], []).append(r)
    rows = []
    for epochs in sorted(by_budget):
        recs = sorted(by_budget[epochs], key=lambda r: r["config"]["seed"])
        row: dict = {"epochs": epochs, "seeds": [r["config"]["seed"] for r in recs], "runs": [r["id"] for r in recs]}
        for run in ("ep", "iep"):
            results = [run_result(r, run) for r in recs]
            row[run] = {
                "steps": results[0]["steps"],
                "testAccuracy": mean_sd([x["testAccuracy"] for x in results]),
                "testAccuracyPerSeed": [x["testAccuracy"] for x in results],
                "dT": mean_sd([x["dyingRatio"]["weighted"] for x in results]),
                "dTAtTarget": mean_sd([x["dyingRatioAtTarget"]["weighted"] for x in results]),
                "imagesPerSecond": round(mean(x["imagesPerSecond"] for x in results), 1),
                "perSeed": results,
            }
        # the same seed gives both runs the same weights, scores and batches: compare them seed by seed
        gaps = [i - e for i, e in zip(row["iep"]["testAccuracyPerSeed"], row["ep"]["testAccuracyPerSeed"])]
        row["iepMinusEp"] = mean_sd(gaps)
        rows.append(row)
    return rows


def machine() -> dict:
    import torch

    cpuinfo = Path("/proc/cpuinfo")
    names = [l.split(":", 1)[1].strip() for l in cpuinfo.read_text().splitlines() if l.startswith("model name")]
    cpu = names[0] if names else platform.processor()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def fmt(ms: dict) -> str:
    return f"{100 * ms['mean']:.2f} ± {100 * ms['sd']:.2f}"


def tables(summary: dict) -> str:
    lines = [
        "| EP epochs | k (pruned) | kept | d_T | k − d_T | d_T, layer mean | test acc. | steps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary["caseStudy"]:
        lines.append(
            f"| {r['epochs']:g} | {r['k']:.3f} | {r['keptFraction']:.3f} | {r['dT']:.3f} | {r['kMinusDT']:.3f} | "
            f"{r['dTLayerMean']:.3f} | {100 * r['testAccuracy']:.2f}% | {r['steps']} |"
        )
    lines += [
        "",
        "| EP epochs | steps | EP test acc. (%) | soft iEP test acc. (%) | iEP − EP, paired (points) | EP d_T | iEP d_T "
        "| iEP d_T at target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary["comparisons"]:
        ep, iep = r["ep"], r["iep"]
        lines.append(
            f"| {r['epochs']:g} | {ep['steps']} | {fmt(ep['testAccuracy'])} | {fmt(iep['testAccuracy'])} | "
            f"{fmt(r['iepMinusEp'])} | "
            f"{ep['dT']['mean']:.3f} | {iep['dT']['mean']:.3f} | {iep['dTAtTarget']['mean']:.3f} |"
        )
    if summary["comparisons"]:
        last = summary["comparisons"][-1]
        ep, iep = last["ep"]["perSeed"][0]["overSteps"], last["iep"]["perSeed"][0]["overSteps"]
        lines += [
            "",
            f"Per layer at the end, {last['epochs']:g} epoch(s), seed {last['seeds'][0]}:",
            "",
            "| layer | EP d_T | soft iEP d_T | soft iEP d_T at target |",
            "|---|---|---|---|",
        ]
        for i, name in enumerate(ep["layers"]):
            e, d, t = ep["dyingRatio"][i][-1], iep["dyingRatio"][i][-1], iep["dyingRatioAtTarget"][i][-1]
            lines.append(f"| {name} | {e:.3f} | {d:.3f} | {t:.3f} |")
    return "\n".join(lines) + "\n"


def plots(summary: dict, folder: Path) -> List[str]:
    written = []
    cs = summary["caseStudy"]
    if cs:
        series = []
        for epochs in sorted({r["epochs"] for r in cs}):
            rows = [r for r in cs if r["epochs"] == epochs]
            label = f"{epochs:g} ep. ({rows[0]['steps']} steps)"
            series.append(Series(f"d_T, {label}", [(r["k"], r["dT"]) for r in rows]))
            series.append(Series(f"k − d_T, {label}", [(r["k"], r["kMinusDT"]) for r in rows]))
        ks = [r["k"] for r in cs]
        series.append(Series("d_T, paper (ends)", PAPER_ENDS, dashed=True))
        series.append(Series("k − 0.20, paper", [(k, k - 0.2) for k in (min(ks), max(ks))], dashed=True))
        svg = line_chart("EP's final dying ratio per pruning rate k", "k (fraction pruned)", "fraction of edges", series)
        written.append(_write(folder / "case-study.svg", svg))
    comps = summary["comparisons"]
    if comps:
        series = []
        for run, label in (("ep", "EP"), ("iep", "soft iEP")):
            pts = [(c["epochs"], c[run]["testAccuracy"]["mean"]) for c in comps]
            series.append(Series(f"{label}, mean ± sd", pts, [c[run]["testAccuracy"]["sd"] for c in comps]))
        accs = [c[run]["testAccuracy"]["mean"] for c in comps for run in ("ep", "iep")]
        lo, hi = max(0.0, min(accs) - 0.1), min(1.0, max(accs) + 0.1)
        svg = line_chart("Test accuracy at equal compute", "EP's budget (epochs)", "test accuracy", series, (lo, hi))
        written.append(_write(folder / "accuracy.svg", svg))
        for c in comps:
            ep, iep = c["ep"]["perSeed"][0]["overSteps"], c["iep"]["perSeed"][0]["overSteps"]
            panels = [
                ("EP: d_t", ep["dyingRatio"]),
                ("soft iEP: d_t", iep["dyingRatio"]),
                ("soft iEP: d_t at target", iep["dyingRatioAtTarget"]),
            ]
            svg = grid_chart(
                f"Dying ratio per layer over steps, {c['epochs']:g} epoch(s), seed {c['seeds'][0]}",
                panels,
                ep["layers"],
                f"steps {ep['step'][0]} … {ep['step'][-1]} (left to right), one column per report",
            )
            written.append(_write(folder / f"dying-layers-e{c['epochs']:g}.svg", svg))
    return written


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def write_summary(out: Path, ids: List[str], target: float, argv: Optional[List[str]] = None) -> Path:
    records = load_records(out, ids)
    summary = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": machine(),
        "argv": argv,
        "target": target,
        "runFiles": sorted(records),
        "missing": sorted(set(ids) - set(records)),
        "caseStudy": case_study(records),
        "paperCaseStudyEnds": [{"k": k, "dT": d} for k, d in PAPER_ENDS],
        "comparisons": comparisons(records),
    }
    path = out / "summary.json"
    path.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    (out / "tables.md").write_text(tables(summary), encoding="utf-8")
    plots(summary, out)
    return path
