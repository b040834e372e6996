"""Files that must never be torn: written whole to a temporary file beside them, fsynced, renamed over the old one,
and the folder fsynced, so a crash at any instant leaves the old version or the new one, and a failure (a full disk)
leaves no temporary file behind."""

import contextlib
import os
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional

from . import strictjson


class WriteFailed(OSError):
    """An OSError met writing `path`, said as 'no space left on device writing RUNS/r/checkpoint.pt': the words
    a person needs, where Python says '[Errno 28] No space left on device' and often no file."""

    def __init__(self, e: OSError, path: Path):
        super().__init__(e.errno, e.strerror or str(e), str(path))

    def __str__(self) -> str:
        return f"{self.strerror.lower()} writing {self.filename}"


def said(e: OSError) -> str:
    """An OSError in words, e.g. 'permission denied: RUNS/.serve/r/state.json' (not '[Errno 13] ...')."""
    if isinstance(e, WriteFailed):
        return str(e)
    what = e.strerror.lower() if e.strerror else str(e)
    return f"{what}: {e.filename}" if e.filename else what


class _Remembering:
    """A file that remembers the OSError its write met: torch.save turns it into a RuntimeError that quotes C++
    stack frames and no longer says what happened."""

    def __init__(self, f: BinaryIO):
        self.file = f
        self.error: Optional[OSError] = None

    def write(self, data: Any) -> int:
        try:
            return self.file.write(data)
        except OSError as e:
            self.error = e
            raise

    def flush(self) -> None:
        self.file.flush()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Calls write(file) on a temporary file beside `path`, then makes it `path` durably and atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    remembering: Optional[_Remembering] = None
    try:
        with open(tmp, "wb") as f:
            remembering = _Remembering(f)
            write(remembering)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        cause = e if isinstance(e, OSError) else remembering and remembering.error
        if cause:
            raise WriteFailed(cause, path) from e
        raise


def write_json_atomic(path: Path, value: Any) -> None:
    write_atomic(path, lambda f: f.write((strictjson.dumps(value, indent=2) + "\n").encode("utf-8")))
