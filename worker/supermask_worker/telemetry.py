"""A run's files: RUNS/<id>/run.json (the RunRecord's header: config, summary, backend) and RUNS/<id>/telemetry.jsonl
(one report per line, flushed and fsynced per report, so a crash loses at most the report being written).
Header + reports (split by kind) make a RunRecord of the telemetry schema, the format the studio imports.
"""

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

from . import strictjson
from .config import CONFIG_VERSION, upgrade_record
from .files import WriteFailed, write_json_atomic
from .schema import validate

RUN_FILE = "run.json"
TELEMETRY_FILE = "telemetry.jsonl"


def new_run_dir(run_dir: Path) -> Path:
    """Creates a run's folder; refuses one that exists, so nothing already recorded is overwritten."""
    run_dir = Path(run_dir)
    if run_dir.exists():
        raise FileExistsError(f"{run_dir} already exists: a run id is used once (pick another --id)")
    run_dir.mkdir(parents=True)
    return run_dir


class RunWriter:
    def __init__(self, run_dir: Path, header: Dict[str, Any], created: bool = False):
        """Writes run.json and opens telemetry.jsonl in a new run folder (made here unless `created` by new_run_dir:
        `train` locks the folder before run.json appears, so whoever sees run.json sees the run's lock taken)."""
        self.dir = Path(run_dir) if created else new_run_dir(run_dir)
        # Whole or not at all: `serve` reads it as soon as it appears.
        write_json_atomic(self.dir / RUN_FILE, header)
        self._file = open(self.dir / TELEMETRY_FILE, "a", encoding="utf-8")
        self.lines = 0
        self.skip = 0

    @classmethod
    def reopen(cls, run_dir: Path, checkpoint_reports: int) -> "RunWriter":
        """Appends to a run resumed from a checkpoint taken when its telemetry held `checkpoint_reports` lines. The
        reports written after that checkpoint stay as they are (nothing recorded is lost); the resumed run makes
        them again, identically, and those are skipped, so none is repeated. A line torn by a crash is cut off."""
        path = Path(run_dir) / TELEMETRY_FILE
        with open(path, "rb+") as f:
            data = f.read()
            whole = data.rfind(b"\n") + 1
            f.truncate(whole)
        lines = data[:whole].count(b"\n")
        if lines < checkpoint_reports:
            raise ValueError(f"{path} has {lines} reports, fewer than the {checkpoint_reports} its checkpoint saw")
        writer = cls.__new__(cls)
        writer.dir = Path(run_dir)
        writer._file = open(path, "a", encoding="utf-8")
        writer.lines = lines
        writer.skip = lines - checkpoint_reports
        return writer

    def write(self, report: Dict[str, Any]) -> None:
        validate("StepReport" if report["kind"] == "step" else "EvalReport", report)
        if self.skip > 0:
            self.skip -= 1
            return
        try:
            line = strictjson.dumps(report, separators=(",", ":"))
        except ValueError:
            # Written, it would make a file no browser reads; a loss that is not finite is a run that diverged.
            raise ValueError(
                f"run {report['run']} at step {report['step']}: a value is not a finite number (did it diverge?)"
            ) from None
        try:
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as e:
            raise WriteFailed(e, self.dir / TELEMETRY_FILE) from e
        self.lines += 1

    @property
    def reports(self) -> int:
        """Reports the run has made so far (written now or before a resume)."""
        return self.lines - self.skip

    def close(self) -> None:
        self._file.close()


def run_header(run_id: str, config: Dict[str, Any], summary: Dict[str, Any], backend: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "format": "supermask-studio/run",
        "version": CONFIG_VERSION,
        "id": run_id,
        "createdAt": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "source": "remote",
        "backend": backend,
        "config": config,
        "summary": summary,
    }


def read_record(run_dir: Path) -> Dict[str, Any]:
    """A run's files as one RunRecord (the studio's import format); a v1 run's header is upgraded to v2."""
    header = upgrade_record(strictjson.loads((Path(run_dir) / RUN_FILE).read_text(encoding="utf-8")))
    lines = (Path(run_dir) / TELEMETRY_FILE).read_text(encoding="utf-8").splitlines()
    reports: List[Dict[str, Any]] = [strictjson.loads(line) for line in lines if line.strip()]
    return {
        **header,
        "reports": [r for r in reports if r["kind"] == "step"],
        "evals": [r for r in reports if r["kind"] == "eval"],
        "error": None,
    }
