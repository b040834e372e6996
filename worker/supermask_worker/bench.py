"""`bench`: where an edge-popup step's time goes, per phase (mask / top-k, forward, backward, optimiser,
telemetry), against the dense-equivalent step of the same net (the same convolutions and gradients with an all-ones
mask: no top-k, no usage counters), on random CIFAR-shaped batches (speed does not depend on the pixels). Each
phase is timed with a device sync around it, so phases add up to more than an unsynchronised step would take;
the point is their shares. Prints a table and writes JSON to bench-results/.
"""

import argparse
import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from statistics import median
from typing import Callable, Dict, List

import torch
import torch.nn.functional as F

from .mask import kept_count, top_mask
from .models import TORCHVISION_MODELS, build_model
from .usage import LayerUsage

PHASES = ("mask", "forward", "backward", "optimiser", "telemetry")


def timed(device: torch.device, fn: Callable[[], object]) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def bench_step(model_name: str, width: float, batch: int, steps: int, warmup: int, device: torch.device, dense: bool):
    """Median seconds per phase over `steps` steps after `warmup` ones."""
    model = build_model(model_name, width, 1, 1000 if model_name in TORCHVISION_MODELS else 10).to(device)
    size = 224 if model_name in TORCHVISION_MODELS else 32
    layers = model.masked
    usage = [LayerUsage(l) for l in layers]
    momentum = [torch.zeros_like(l.scores) for l in layers]
    x = torch.randn(batch, 3, size, size, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    cuda = device.type == "cuda"
    if cuda:
        model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    model.train()
    times: Dict[str, List[float]] = {p: [] for p in PHASES}
    ones = [torch.ones_like(l.scores) for l in layers]
    state: Dict[str, object] = {}

    def mask() -> None:
        state["masks"] = [top_mask(l.scores.detach(), kept_count(l.edges, 0.5), None) for l in layers]
        for l, m in zip(layers, state["masks"]):  # type: ignore[arg-type]
            l.mask = m

    def forward() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16) if cuda else torch.autocast("cpu", enabled=False):
            state["loss"] = F.cross_entropy(model(x).float(), y)

    def backward() -> None:
        state["grads"] = torch.autograd.grad(state["loss"], [l.scores for l in layers])  # type: ignore[arg-type]

    @torch.no_grad()
    def optimiser() -> None:
        for l, g, v in zip(layers, state["grads"], momentum):  # type: ignore[call-overload]
            v.copy_(v * 0.9 + (g + l.scores * 5e-4))
            l.scores.sub_(v * 0.1)

    def telemetry() -> None:
        for u, m in zip(usage, state["masks"]):  # type: ignore[call-overload]
            u.update(m, m)

    if dense:
        for l, m in zip(layers, ones):
            l.mask = m
    phases = {"forward": forward, "backward": backward, "optimiser": optimiser}
    if not dense:
        phases = {"mask": mask, **phases, "telemetry": telemetry}
    for i in range(warmup + steps):
        for name, fn in phases.items():
            t = timed(device, fn)
            if i >= warmup:
                times[name].append(t)
    return {p: median(times[p]) if times[p] else 0.0 for p in PHASES}


def bench(args: argparse.Namespace) -> int:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    results = []
    for dense in (False, True):
        phases = bench_step(args.model, args.width, args.batch, args.steps, args.warmup, device, dense)
        name = "dense-equivalent" if dense else "EP"
        results.append({"step": name, "seconds": phases, "total": sum(phases.values())})
    print(f"{args.model} width {args.width}, batch {args.batch}, {device} ({args.steps} steps after {args.warmup})")
    print(f"{'ms per step':>18} " + " ".join(f"{p:>10}" for p in PHASES) + f" {'total':>10} {'images/s':>10}")
    for r in results:
        cells = " ".join(f"{r['seconds'][p] * 1e3:10.2f}" for p in PHASES)
        print(f"{r['step']:>18} {cells} {r['total'] * 1e3:10.2f} {args.batch / r['total']:10.1f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "createdAt": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": args.model,
        "width": args.width,
        "batch": args.batch,
        "steps": args.steps,
        "warmup": args.warmup,
        "results": results,
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written to {out}")
    return 0
