"""Run inside pycti's own virtual environment by the ``connector-drain`` scenario: the queue
messages a pycti connector publishes for bundle files, made by pycti itself (its splitter, then
its ``_send_bundle`` envelope, handed a channel that writes each body as one line instead of
publishing it), as the MITRE connector sends them (``update=True``).

Usage: python pycti_messages.py WORK_ID OUT_FILE BUNDLE_FILE...
"""

import sys
from types import SimpleNamespace

from pycti import OpenCTIConnectorHelper
from pycti.utils.opencti_stix2_splitter import OpenCTIStix2Splitter


class LineChannel:
    """Where ``_send_bundle`` publishes: one body per line."""

    def __init__(self, out):
        self.out = out

    def basic_publish(self, exchange, routing_key, body, properties=None):
        self.out.write(body + "\n")


def helper_stand_in():
    """The attributes ``_send_bundle`` reads on its helper."""
    quiet = SimpleNamespace(debug=lambda *a, **k: None, info=lambda *a, **k: None)
    return SimpleNamespace(
        applicant_id=None,
        connector_config={"push_exchange": "", "push_routing": ""},
        connector_logger=quiet,
        metric=SimpleNamespace(inc=lambda *a, **k: None),
        connector_info=SimpleNamespace(buffering=False),
    )


if __name__ == "__main__":
    work_id, out_path, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    stand_in = helper_stand_in()
    expected = 0
    with open(out_path, "w", encoding="utf-8") as out:
        channel = LineChannel(out)
        for path in files:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            count, _, bundles = OpenCTIStix2Splitter().split_bundle_with_expectations(
                bundle=text, use_json=True
            )
            expected += count
            for sequence, bundle in enumerate(bundles, start=1):
                OpenCTIConnectorHelper._send_bundle(
                    stand_in,
                    channel,
                    bundle,
                    work_id=work_id,
                    entities_types=[],
                    sequence=sequence,
                    update=True,
                )
    print(expected)
