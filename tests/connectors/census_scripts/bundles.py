"""Run in pycti's own virtual environment: ``stix2.import_bundle_from_json`` imports a bundle
through pycti's per-object creates. Prints one JSON object."""

import json
import logging
import os

from pycti import OpenCTIApiClient

api = OpenCTIApiClient(os.environ["OPENCTI_URL"], os.environ["OPENCTI_TOKEN"], "error")
bundle = json.loads(os.environ["BUNDLE"])
# pycti logs an object it could not import and goes on: collect what it logs as errors
errors = []


class Collect(logging.Handler):
    def emit(self, record):
        errors.append(record.getMessage())


for name in ("api", "worker", ""):
    logging.getLogger(name).addHandler(Collect(level=logging.ERROR))
imported, too_large = api.stix2.import_bundle_from_json(json.dumps(bundle), update=True)
out = {"imported": sorted(o["id"] for o in imported), "errors": errors}
print(json.dumps(out))
