"""HTML forms to request models: blanks become absent, errors come back per field.

A form field ``a.b`` fills ``{"a": {"b": …}}``; a field sent several times (a multi-select, a
group of checkboxes) becomes a list when the model wants one. Pydantic's errors are turned into
``{"field": "what is wrong"}`` so a page can show each message beside its field.
"""

from __future__ import annotations

from typing import Any, TypeVar, get_origin

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

Model = TypeVar("Model", bound=BaseModel)
FieldErrors = dict[str, str]


def form_values(form: FormData, model: type[BaseModel]) -> dict[str, Any]:
    """The non-blank fields of ``form`` shaped for ``model`` (lists where it wants lists)."""
    values: dict[str, Any] = {}
    for key in dict.fromkeys(form.keys()):
        items = [item for item in form.getlist(key) if isinstance(item, str)]
        items = [item.strip() for item in items if item.strip()]
        if not items:
            continue
        field = model.model_fields.get(key.split(".", 1)[0])
        wants_list = field is not None and get_origin(field.annotation) in (list, tuple)
        wants_list = wants_list or (field is not None and "list[" in str(field.annotation))
        _assign(values, key, items if wants_list else items[-1])
    return values


def parse_form(form: FormData, model: type[Model]) -> tuple[Model | None, FieldErrors]:
    """``model`` built from ``form``, or None and the errors per field."""
    try:
        return model.model_validate(form_values(form, model)), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def field_errors(exc: ValidationError) -> FieldErrors:
    errors: FieldErrors = {}
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())) or "form"
        message = str(error.get("msg", "invalid"))
        errors.setdefault(where, message.removeprefix("Value error, "))
    return errors


def _assign(values: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    target = values
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value
