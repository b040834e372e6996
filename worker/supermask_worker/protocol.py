"""The worker's WebSocket protocol (docs/protocol.md): JSON text messages, each carrying the protocol version `v` and
a `type`; a request may carry an `id`, which its reply or error repeats as `re`. Errors have a code and, when one
value is at fault, its field.
"""

from typing import Any, Dict, Optional

from . import strictjson

WIRE_VERSION = 1  # the messages' `v`; the configs they carry have config.CONFIG_VERSION
MAX_MESSAGE_BYTES = 1 << 20  # a config is a few hundred bytes; anything near this is not one
# What waits to be sent to one client: a history is read on only while less than HISTORY_PAUSE_BYTES waits; past
# SEND_QUEUE_BYTES (live reports and replies to a client that does not read) it is disconnected.
HISTORY_PAUSE_BYTES = 1 << 20
SEND_QUEUE_BYTES = 8 << 20

# Close codes (4000-4999 are the application's).
CLOSE_BAD_TOKEN = 4001
CLOSE_NO_HELLO = 4002
CLOSE_VERSION = 4003
CLOSE_HELLO_TIMEOUT = 4004
CLOSE_TOO_SLOW = 4005  # the client fell too far behind what was sent to it; it may subscribe again from its last seq
CLOSE_TRY_LATER = 1013  # the standard code: too many connections now

# Error codes.
BAD_MESSAGE = "bad-message"
UNSUPPORTED_VERSION = "unsupported-version"
UNKNOWN_TYPE = "unknown-type"
INVALID_FIELD = "invalid-field"
INVALID_CONFIG = "invalid-config"
UNKNOWN_RUN = "unknown-run"
RUN_EXISTS = "run-exists"
BAD_STATE = "bad-state"
SERVER_ERROR = "server-error"

REQUESTS = ("hello", "list", "start", "pause", "resume", "stop", "subscribe", "unsubscribe")


class ProtocolError(Exception):
    """`re`: the id of the request at fault, when the error is found before the request is handled."""

    def __init__(self, code: str, message: str, field: Optional[str] = None, re: Any = None):
        super().__init__(message)
        self.code = code
        self.field = field
        self.re = re


def message(type_: str, **fields: Any) -> str:
    return strictjson.dumps({"v": WIRE_VERSION, "type": type_, **fields}, separators=(",", ":"))


def error(e: ProtocolError, re: Any = None) -> str:
    fields: Dict[str, Any] = {"code": e.code, "message": str(e)}
    if e.field is not None:
        fields["field"] = e.field
    if re is not None:
        fields["re"] = re
    return message("error", **fields)


def parse(text: Any) -> Dict[str, Any]:
    """A client message as a dict with a known `type`; raises ProtocolError otherwise, carrying the message's id
    whenever the id itself could be read."""
    if not isinstance(text, str):
        raise ProtocolError(BAD_MESSAGE, "messages are JSON text, not binary")
    try:
        msg = strictjson.parse(text)
    except ValueError as e:
        raise ProtocolError(BAD_MESSAGE, f"not JSON: {e}")
    if not isinstance(msg, dict):
        raise ProtocolError(BAD_MESSAGE, "a message is a JSON object")
    problem = strictjson.first_problem(msg)
    if problem:
        place, why = problem
        # The id is repeated only when it is strict itself: the first problem found may lie before a bad id.
        re = msg.get("id") if strictjson.first_problem(msg.get("id")) is None else None
        code = INVALID_CONFIG if _within(place, "config") else INVALID_FIELD
        raise ProtocolError(code, f"{place}: {why}", place, re)
    if type(msg.get("v")) is not int or msg["v"] != WIRE_VERSION:  # true and 1.0 equal 1 in Python
        version = f"this worker speaks protocol version {WIRE_VERSION}"
        raise ProtocolError(UNSUPPORTED_VERSION, version, "v", msg.get("id"))
    if msg.get("type") not in REQUESTS:
        raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {msg.get('type')!r}", "type", msg.get("id"))
    return msg


def _within(place: str, name: str) -> bool:
    return place == name or place.startswith((f"{name}.", f"{name}["))


def field(msg: Dict[str, Any], name: str, kind: type, required: bool = True) -> Any:
    """msg[name], checked to be a `kind` (ints are not bools)."""
    value = msg.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(INVALID_FIELD, f"{name} must be a {kind.__name__}", name)
    return value
