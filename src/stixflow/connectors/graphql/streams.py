"""``streamCollections``: the live streams a caller may read, as OpenCTI's synchroniser asks for
them when it validates a remote (``docs/sharing.md``, "OpenCTI follows stixflow"). Readers need
``TAXIIAPI``, as for ``/api/streams``; ``filters`` is the stream's filter as a JSON string."""

from __future__ import annotations

from typing import Any

import orjson
from ariadne import QueryType
from graphql import GraphQLResolveInfo

from stixflow.access.capabilities import Capability
from stixflow.connectors.graphql.context import context_of
from stixflow.taxii.collections import live_streams

query = QueryType()


@query.field("streamCollections")
def resolve_stream_collections(
    _: Any, info: GraphQLResolveInfo, first: int | None = None, search: str | None = None, **__: Any
) -> dict[str, Any]:
    context = context_of(info, Capability.TAXIIAPI)
    found = [d.out() for d in live_streams(context.runtime.db).list()]
    if search:
        found = [d for d in found if search.lower() in d.name.lower()]
    if first is not None:
        found = found[: max(first, 0)]
    edges = [
        {
            "cursor": d.id,
            "node": {
                "id": d.id,
                "name": d.name,
                "description": d.description,
                "filters": orjson.dumps(d.filters.model_dump(mode="json")).decode(),
                "stream_live": d.running,
                "stream_public": d.public,
            },
        }
        for d in found
    ]
    page = {"startCursor": None, "endCursor": None, "hasNextPage": False}
    return {
        "pageInfo": {**page, "hasPreviousPage": False, "globalCount": len(edges)},
        "edges": edges,
    }


BINDABLES = (query,)
