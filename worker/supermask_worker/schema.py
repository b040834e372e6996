"""The one telemetry schema, src/protocol/telemetry.schema.json, read from the repository (never a copy), so the
worker and the studio cannot drift apart. $SUPERMASK_SCHEMA points elsewhere (e.g. a worker installed without the
repository beside it)."""

import functools
import json
import os
from pathlib import Path
from typing import Any, Dict

import jsonschema

REPO_SCHEMA = Path(__file__).resolve().parents[2] / "src" / "protocol" / "telemetry.schema.json"


@functools.lru_cache(maxsize=1)
def load_schema() -> Dict[str, Any]:
    path = Path(os.environ.get("SUPERMASK_SCHEMA", REPO_SCHEMA))
    if not path.is_file():
        raise FileNotFoundError(
            f"telemetry schema not found at {path}: run the worker from the Supermask Studio repository, "
            "or set SUPERMASK_SCHEMA to src/protocol/telemetry.schema.json"
        )
    return json.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def schema_validator(definition: str) -> jsonschema.Draft7Validator:
    """A validator for one of the schema's definitions (e.g. 'StepReport'), resolving its $refs in the whole file."""
    schema = load_schema()
    return jsonschema.Draft7Validator(
        {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]},
    )


def validate(definition: str, instance: Any) -> None:
    """Raises jsonschema.ValidationError when `instance` is not a valid `definition`."""
    schema_validator(definition).validate(instance)
