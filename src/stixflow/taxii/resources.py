"""TAXII 2.1 resources as JSON-ready dicts (TAXII 2.1 sections 3.6 error, 4.1.1 discovery,
4.2.1 API root, 4.3.1 status, 5.2.1 collection, 5.3.1 envelope, 5.6.1 manifest, 5.7.1 versions)."""

from __future__ import annotations

from typing import Any

from stixflow import __version__
from stixflow.pipeline.works import FAILED, Work
from stixflow.taxii.media import STIX_21, TAXII_21
from stixflow.taxii.reader import Entry, Page

API_ROOT = "root"
TITLE = "stixflow TAXII 2.1"


def discovery(base_url: str) -> dict[str, Any]:
    root = f"{base_url}/taxii2/{API_ROOT}/"
    return {
        "title": TITLE,
        "description": "TAXII 2.1 collections and TAXII Push ingesters of this stixflow",
        "default": root,
        "api_roots": [root],
    }


def api_root(max_content_length: int) -> dict[str, Any]:
    return {
        "title": f"{TITLE} API root",
        "description": f"stixflow {__version__}",
        "versions": [TAXII_21],
        "max_content_length": max_content_length,
    }


def collection(
    collection_id: str, title: str, description: str, *, can_read: bool, can_write: bool
) -> dict[str, Any]:
    return {
        "id": collection_id,
        "title": title,
        "description": description,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [STIX_21],
    }


def envelope(page: Page) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    if page.entries:
        body["objects"] = [entry.obj for entry in page.entries]
    return body


def manifest(page: Page) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    if page.entries:
        body["objects"] = [
            {
                "id": entry.obj["id"],
                "date_added": entry.date_added,
                "version": entry.version,
                "media_type": STIX_21,
            }
            for entry in page.entries
        ]
    return body


def versions(entries: list[Entry]) -> dict[str, Any]:
    body: dict[str, Any] = {"more": False}
    if entries:
        body["versions"] = [entry.version for entry in entries]
    return body


def added_headers(entries: list[Entry]) -> dict[str, str]:
    """``X-TAXII-Date-Added-First`` / ``-Last`` of what a response holds (none when empty)."""
    if not entries:
        return {}
    stamps = sorted(entry.date_added for entry in entries)
    return {"X-TAXII-Date-Added-First": stamps[0], "X-TAXII-Date-Added-Last": stamps[-1]}


def status(work: Work, versions: dict[str, str]) -> dict[str, Any]:
    """The status of a push (§4.3.1): counts from the work, failures with their reasons.

    A failed work (``x_stixflow_reason`` says why) is complete: the objects it misses count as
    failures, as they will never come.

    ``failures`` lists every failed object while the work kept every reason (up to the work's
    cap); past it the list would disagree with ``failure_count``, so only a sample is given, as
    ``x_stixflow_failure_sample``.
    """
    missing = max(0, work.expected - work.processed - work.failed)
    lost = missing if work.status == FAILED else 0  # a failed work will never get them
    body: dict[str, Any] = {
        "id": work.id,
        "status": "complete" if work.finished else "pending",
        "request_timestamp": work.created_at,
        "total_count": work.expected,
        "success_count": work.processed,
        "failure_count": work.failed + lost,
        "pending_count": missing - lost,
    }
    if work.reason:
        body["x_stixflow_reason"] = work.reason
    failures = [
        {
            "id": error.object_id or "",
            "version": versions.get(error.object_id or "", ""),
            "message": error.reason,
        }
        for error in work.errors
        if not error.is_repair
    ]
    if failures and len(failures) == body["failure_count"]:
        body["failures"] = failures
    elif failures:
        body["x_stixflow_failure_sample"] = failures
    return body


def error(title: str, status_code: int, description: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "http_status": str(status_code)}
    if description:
        body["description"] = description
    return body
