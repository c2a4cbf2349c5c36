"""GraphQL multipart requests (the spec pycti follows for ``Upload`` variables): an
``operations`` part (the JSON request with null where files go), a ``map`` part (file part
name -> the variable paths it fills) and the file parts. ``Upload`` values reach resolvers as
``Upload`` objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from stixflow.errors import InvalidInput


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    mime_type: str


def assemble(operations: str, mapping: str, files: dict[str, Upload]) -> Any:
    """The request with each file put at the paths ``mapping`` gives it."""
    try:
        request = orjson.loads(operations)
        paths = orjson.loads(mapping)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"multipart GraphQL request: {exc}") from exc
    if not isinstance(paths, dict):
        raise InvalidInput("multipart GraphQL request: 'map' must be an object")
    for part, targets in paths.items():
        if part not in files:
            raise InvalidInput(f"multipart GraphQL request: no file part {part!r}")
        for path in targets:
            _put(request, str(path).split("."), files[part])
    return request


def _put(request: Any, keys: list[str], value: Upload) -> None:
    target = request
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    last = keys[-1]
    if isinstance(target, list):
        index = int(last)
        target.extend([None] * (index + 1 - len(target)))
        target[index] = value
    elif isinstance(target, dict):
        target[last] = value
    else:
        raise InvalidInput(f"multipart GraphQL request: cannot put a file at {'.'.join(keys)}")
