"""Resolvers for works (spec §9.4): ``workAdd``, ``workEdit { toReceived toProcessed
addExpectations reportExpectation ping delete }``, ``work``, ``isWorkAlive``, ``workDelete``.

A caller reads and edits only the works it may see (``pipeline.works.WorkViewer``: its own, its
connectors', every one for an administrator); any other id answers as a work that does not exist.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.access.capabilities import Capability
from stixflow.connectors.graphql.context import Context, context_of
from stixflow.errors import InvalidInput, NotFound
from stixflow.pipeline.works import COMPLETE, FAILED, IN_PROGRESS, Work, WorkError, WorkViewer

query = QueryType()
mutation = MutationType()
work_edit = ObjectType("WorkEditMutations")

API = Capability.CONNECTORAPI
#: OpenCTI knows no failed work: a failed one is finished ("complete"), its reason an error.
STATUS = {IN_PROGRESS: "progress", COMPLETE: "complete", FAILED: "complete"}


def work_node(work: Work) -> dict[str, Any]:
    """A Work as OpenCTI returns it."""
    return {
        "id": work.id,
        "name": work.name,
        "connector_id": work.source,
        "user": {"name": work.user_id},
        "timestamp": work.created_at,
        "status": STATUS.get(work.status, "wait"),
        "event_source_id": work.source,
        "received_time": work.created_at,
        "processed_time": None,
        "completed_time": work.completed_at,
        "tracking": {
            "import_expected_number": work.expected,
            "import_processed_number": work.done,
        },
        "messages": [],
        "errors": [
            {"timestamp": None, "message": e.reason, "sequence": None, "source": e.object_id}
            for e in ([WorkError(None, work.reason)] if work.reason else []) + work.errors
        ],
    }


def viewer_of(context: Context) -> WorkViewer:
    return WorkViewer(context.user_id, sees_all=context.can(Capability.BYPASS))


def _seen(context: Context, work_id: str) -> Work | None:
    return context.runtime.works.get(work_id, viewer=viewer_of(context))


def _work(context: Context, work_id: str) -> Work:
    work = _seen(context, work_id)
    if work is None:
        raise NotFound(f"WORK_NOT_ALIVE: no work {work_id}")
    return work


@query.field("work")
def resolve_work(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    work = _seen(context_of(info, API, Capability.KNOWLEDGE), id)
    return None if work is None else work_node(work)


WORK_FILTER_KEYS = ("connector_id", "event_source_id")
MAX_WORKS = 500


def _sources(filters: dict[str, Any] | None) -> list[str | None]:
    """The connectors a ``works`` filter asks for (``connector_id``); [None]: every one."""
    for item in (filters or {}).get("filters") or []:
        key = item.get("key")
        key = key[0] if isinstance(key, list) and key else key
        if key in WORK_FILTER_KEYS:
            return [str(v) for v in item.get("values") or []]
        raise InvalidInput(f"works: filter key {key!r} is not served")
    return [None]


@query.field("works")
def resolve_works(
    _: None,
    info: GraphQLResolveInfo,
    first: int | None = None,
    filters: dict[str, Any] | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    """The works the caller may see, newest first (of the connectors filtered on)."""
    context = context_of(info, API, Capability.KNOWLEDGE)
    limit = max(1, min(first or 50, MAX_WORKS))
    viewer = viewer_of(context)
    found = [
        work
        for source in _sources(filters)
        for work in context.runtime.works.list(source=source, limit=limit, viewer=viewer)
    ][:limit]
    return {
        "edges": [{"node": work_node(work)} for work in found],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "globalCount": len(found)},
    }


@query.field("isWorkAlive")
def resolve_alive(_: None, info: GraphQLResolveInfo, id: str) -> bool:
    return _seen(context_of(info, API), id) is not None


@mutation.field("workAdd")
def resolve_work_add(
    _: None,
    info: GraphQLResolveInfo,
    connectorId: str,
    friendlyName: str | None = None,
    isMultiPartWork: bool | None = None,
) -> dict[str, Any]:
    """Every work pycti opens ends with its ``toProcessed`` (``helper.api.work.to_processed``,
    called once the connector sent its last bundle): until then it is not complete, even when the
    workers caught up with what was sent so far (pycti adds the expectations of each bundle only
    as it sends it). ``isMultiPartWork`` is accepted; all of them behave as multi-part."""
    service = context_of(info, API).connectors
    work = service.open_work(connectorId, name=friendlyName or connectorId, multipart=True)
    return work_node(work)


@mutation.field("workEdit")
def resolve_work_edit(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, str]:
    context_of(info, API)
    return {"id": id}


@mutation.field("workDelete")
def resolve_work_delete(_: None, info: GraphQLResolveInfo, connectorId: str) -> str:
    """Clear all works of a connector."""
    context = context_of(info, Capability.CONNECTOR_STATE)
    for work in context.runtime.works.list(source=connectorId, limit=10_000):
        context.runtime.works.delete(work.id)
    return connectorId


@work_edit.field("toReceived")
def resolve_to_received(
    edit: dict[str, str], info: GraphQLResolveInfo, message: str | None = None
) -> str:
    return _work(context_of(info, API), edit["id"]).id


@work_edit.field("toProcessed")
def resolve_to_processed(
    edit: dict[str, str],
    info: GraphQLResolveInfo,
    message: str | None = None,
    inError: bool | None = None,
) -> str:
    context = context_of(info, API)
    work = _work(context, edit["id"])
    context.runtime.works.mark_processed(work.id, message=message, in_error=bool(inError))
    return work.id


@work_edit.field("addExpectations")
def resolve_add_expectations(
    edit: dict[str, str], info: GraphQLResolveInfo, expectations: int | None = None
) -> str:
    context = context_of(info, API)
    runtime = context.runtime
    _work(context, edit["id"])
    with runtime.db.transaction() as tx:
        try:
            runtime.works.extend(tx, edit["id"], expected=max(0, expectations or 0))
        except NotFound as exc:
            raise NotFound(f"WORK_NOT_ALIVE: {exc}") from exc
    return edit["id"]


@work_edit.field("reportExpectation")
def resolve_report_expectation(
    edit: dict[str, str], info: GraphQLResolveInfo, error: dict[str, Any] | None = None
) -> str:
    context = context_of(info, API)
    runtime = context.runtime
    _work(context, edit["id"])
    failed = WorkError(error.get("source"), str(error.get("error"))) if error else None
    with runtime.db.transaction() as tx:
        runtime.works.record(
            tx,
            edit["id"],
            processed=0 if failed else 1,
            failed=1 if failed else 0,
            errors=[failed] if failed else [],
        )
    return edit["id"]


@work_edit.field("ping")
def resolve_ping(edit: dict[str, str], info: GraphQLResolveInfo) -> str:
    return _work(context_of(info, API), edit["id"]).id


@work_edit.field("addDraftContext")
def resolve_draft_context(
    edit: dict[str, str], info: GraphQLResolveInfo, draftContext: str | None = None
) -> str:
    """Drafts do not exist in stixflow: the data is imported directly."""
    return _work(context_of(info, API), edit["id"]).id


@work_edit.field("delete")
def resolve_delete(edit: dict[str, str], info: GraphQLResolveInfo) -> str:
    context = context_of(info, API)
    context.runtime.works.delete(_work(context, edit["id"]).id)
    return edit["id"]


BINDABLES = (query, mutation, work_edit)
