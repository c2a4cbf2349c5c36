"""The seed options of a live-stream synchroniser not covered by test_sync.py, each between two
real stixflow instances over OpenCTI's stream format (what our synchronisers speak): a starting
date, deletions not taken into account, the user responsible for data creation, and merging
(no perfect synchronization) that keeps a newer local version."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from tests.streams.instances import Instance, wait_for
from tests.streams.test_sync import a, b, folder, follow, stream_on
from tests.support import malware

__all__ = ["a", "b", "folder"]


def by_name(instance: Instance, name: str) -> dict | None:
    return next((o for o in instance.objects("malware").values() if o["name"] == name), None)


def test_starting_date_user_responsible_and_deletions_left_out(a: Instance, b: Instance) -> None:
    tag = uuid.uuid4().hex[:8]
    before = malware(f"before {tag}")
    a.push(before)
    time.sleep(1.1)  # the starting date falls strictly between the two imports
    start = datetime.now(UTC)
    time.sleep(1.1)
    after = [malware(f"after {tag} {n}") for n in range(3)]
    a.push(*after)
    user = b.call(
        "POST", "/api/users", json={"email": f"partner-{tag}@example.org", "name": "[F] Partner"}
    )
    follow(
        b,
        a,
        stream_on(a, types=["malware"]),
        starting_date=start.isoformat(),
        listen_deletion=False,
        user=user["id"],
    )
    wait_for(lambda: all(by_name(b, o["name"]) for o in after), what="the later objects on B")
    assert by_name(b, before["name"]) is None
    first = by_name(b, after[0]["name"])
    assert first is not None
    stored = b.call("GET", f"/api/objects/{first['id']}")
    assert stored["creators"] == [user["id"]]

    on_a = by_name(a, after[0]["name"])
    assert on_a is not None
    a.call("DELETE", f"/api/objects/{on_a['id']}")
    later = malware(f"later {tag}")
    a.push(later)
    wait_for(lambda: by_name(b, later["name"]) is not None, what="an event after the deletion")
    assert b.get(first["id"]) is not None  # the deletion was not taken into account


def test_without_perfect_synchronization_a_newer_local_version_stays(
    a: Instance, b: Instance
) -> None:
    tag = uuid.uuid4().hex[:8]
    original = malware(f"merged {tag}", modified="2024-05-01T00:00:00.000Z")
    a.push(original)
    on_a = by_name(a, original["name"])
    assert on_a is not None
    follow(b, a, stream_on(a, types=["malware"]))
    wait_for(lambda: b.get(on_a["id"]) is not None, what="the copy on B")
    local = {**on_a, "modified": "2030-01-01T00:00:00.000Z", "description": "edited on b"}
    b.push(local)
    a.push({**original, "modified": "2024-06-01T00:00:00.000Z", "description": "remote v2"})
    marker = malware(f"marker {tag}")
    a.push(marker)
    wait_for(lambda: by_name(b, marker["name"]) is not None, what="the events after the update")
    kept = b.get(on_a["id"])
    assert kept is not None and kept["description"] == "edited on b"
    assert (a.get(on_a["id"]) or {}).get("description") == "remote v2"
