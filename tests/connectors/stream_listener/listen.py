"""A stream consumer written against pycti's helper alone (``listen_stream``), as a stream
connector would: it appends one JSON line per event it is given to ``LISTEN_OUTPUT`` (event id,
event type, object id) and keeps its position in its connector state, as pycti does.

Options come from the environment: ``LISTEN_START`` (pycti's ``start_timestamp``: milliseconds),
``LISTEN_DELETE`` (``true``/``false``). Nothing in it knows about stixflow.
"""

import json
import os
import threading

from pycti import OpenCTIConnectorHelper


def main() -> None:
    helper = OpenCTIConnectorHelper({})
    output = os.environ["LISTEN_OUTPUT"]
    lock = threading.Lock()

    def on_event(msg) -> None:
        payload = json.loads(msg.data)
        line = {"id": msg.id, "event": msg.event, "object": payload["data"]["id"]}
        with lock, open(output, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    helper.listen_stream(
        on_event,
        start_timestamp=os.environ.get("LISTEN_START") or None,
        listen_delete=os.environ.get("LISTEN_DELETE", "true") == "true",
        no_dependencies=True,
    )
    threading.Event().wait()


if __name__ == "__main__":
    main()
