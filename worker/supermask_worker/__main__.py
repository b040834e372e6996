"""Command line: `train CONFIG.json --runs-dir DIR` runs a comparison to its end, writing DIR/<id>/run.json,
telemetry.jsonl and checkpoints; `resume ID` goes on from the last checkpoint; `serve` is the WebSocket server the
studio attaches to, which runs those two in processes of their own. Modules are imported per command: the server
never loads torch."""

import argparse
import sys
from pathlib import Path

from .presets import PRESETS

REPO_DATA = Path(__file__).resolve().parents[2] / "public" / "data"


def run_train(args: argparse.Namespace) -> int:
    from .train import train

    return train(args)


def run_resume(args: argparse.Namespace) -> int:
    from .train import resume

    return resume(args)


def run_serve(args: argparse.Namespace) -> int:
    import asyncio

    from .server import serve, token_of

    try:
        token = token_of(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return asyncio.run(serve(args, token))


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", required=True, help="runs are written to RUNS_DIR/<id>/")
    p.add_argument(
        "--data-root", default=str(REPO_DATA), help="folder with the app's datasets.json (default: %(default)s)"
    )
    p.add_argument("--device", help="torch device, e.g. cpu or cuda:1 (default: cuda if available)")
    p.add_argument(
        "--checkpoint-every", type=int, default=100, help="comparison steps between checkpoints (default: %(default)s)"
    )
    p.add_argument("--lock-wait", type=float, default=0, help="seconds to wait for a run another process trains")
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="a training recipe over the config: imagenet-ep is EP's ImageNet recipe (batch 256, lr 0.256 cosine "
        "after 5 warm-up epochs, momentum 0.875, wd 1/32768, label smoothing 0.1); resume reapplies a run's own",
    )


def run_bench(args: argparse.Namespace) -> int:
    from .bench import bench

    return bench(args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m supermask_worker", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="run a comparison config to its end, writing its telemetry")
    t.add_argument("config", help="a ComparisonConfig as JSON (the studio's format, src/protocol/config.ts)")
    t.add_argument("--id", help="the run's id (default: time, model and seed)")
    add_run_options(t)
    t.set_defaults(func=run_train)
    r = commands.add_parser("resume", help="go on with a run from its last checkpoint")
    r.add_argument("id", help="the run's id (its folder in RUNS_DIR)")
    add_run_options(r)
    r.set_defaults(func=run_resume)
    s = commands.add_parser("serve", help="the WebSocket server the studio attaches to (docs/protocol.md)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    s.add_argument("--port", type=int, default=8765, help="port (default: %(default)s; 0 picks a free one)")
    token = s.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        help="the token clients must send (default: $SUPERMASK_TOKEN, else a new random one; printed in the URL). "
        "Any user of the machine can read it in the process list: prefer --token-file or $SUPERMASK_TOKEN",
    )
    token.add_argument("--token-file", metavar="PATH", help="read the token from this file (spaces around it ignored)")
    s.add_argument("--allow-origin", action="append", default=[], metavar="URL", help="another page origin to allow")
    s.add_argument(
        "--max-runs",
        type=int,
        default=0,
        help="runs training at once, the others queued (default: one per GPU, one on a machine without)",
    )
    s.add_argument(
        "--hello-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds a client has for the WebSocket handshake, and then for its hello (default: %(default)s)",
    )
    s.add_argument(
        "--send-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a client that takes no message for this long is disconnected (4005); it may subscribe again from its "
        "last seq (default: %(default)s)",
    )
    s.add_argument(
        "--max-connections",
        type=int,
        default=64,
        help="connections at once; those not yet past hello at most half of them (default: %(default)s)",
    )
    add_run_options(s)
    s.set_defaults(func=run_serve)
    b = commands.add_parser("bench", help="EP and dense-equivalent step time per phase")
    b.add_argument("--model", default="resnet20", help="a CIFAR net or torchvision/… (default: %(default)s)")
    b.add_argument("--width", type=float, default=1.0)
    b.add_argument("--batch", type=int, default=128)
    b.add_argument("--steps", type=int, default=10, help="timed steps (default: %(default)s)")
    b.add_argument("--warmup", type=int, default=3)
    b.add_argument("--device", help="torch device (default: cuda if available)")
    b.add_argument("--out", default="bench-results/worker-bench.json", help="JSON file (default: %(default)s)")
    b.set_defaults(func=run_bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
