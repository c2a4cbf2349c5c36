"""Run inside pycti's own virtual environment by the ``connector-pycti`` scenario: a pycti
connector that opens a work, sends one bundle file with ``send_stix2_bundle`` and marks the
work processed (configured by ``OPENCTI_*`` / ``CONNECTOR_*``, as any pycti connector)."""

import sys

from pycti import OpenCTIConnectorHelper

if __name__ == "__main__":
    helper = OpenCTIConnectorHelper({})
    with open(sys.argv[1], encoding="utf-8") as handle:
        bundle = handle.read()
    work_id = helper.api.work.initiate_work(helper.connect_id, "bench bundle")
    helper.send_stix2_bundle(bundle, work_id=work_id, cleanup_inconsistent_bundle=True)
    helper.api.work.to_processed(work_id, "sent")
    print(work_id)
