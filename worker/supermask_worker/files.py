"""Files that must never be torn: written whole to a temporary file beside them, fsynced, renamed over the old one,
and the folder fsynced, so a crash at any instant leaves the old version or the new one."""

import os
from pathlib import Path
from typing import Any, BinaryIO, Callable

from . import strictjson


def said(e: OSError) -> str:
    """An OSError in words, e.g. 'permission denied: RUNS/.serve/r.json' (not '[Errno 13] ...')."""
    what = e.strerror.lower() if e.strerror else str(e)
    return f"{what}: {e.filename}" if e.filename else what


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Calls write(file) on a temporary file beside `path`, then makes it `path` durably and atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_json_atomic(path: Path, value: Any) -> None:
    write_atomic(path, lambda f: f.write((strictjson.dumps(value, indent=2) + "\n").encode("utf-8")))
