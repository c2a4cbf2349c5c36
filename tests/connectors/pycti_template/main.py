"""An OpenCTI external-import connector written as the official template prescribes
(OpenCTI-Platform/connectors, templates/external-import): pycti's helper, ``schedule_iso``,
``initiate_work``, ``send_stix2_bundle``, ``set_state``, ``to_processed``. Nothing in it knows
about stixflow: it runs with ``OPENCTI_URL`` / ``OPENCTI_TOKEN`` pointing at a stixflow.

It imports a Feodo Tracker C2 blocklist (CSV file named by ``FEODO_CSV_PATH``) as indicators,
from ``FEODO_IMPORT_START_DATE`` the first time, then only rows newer than its state.
"""

import sys
import traceback

from connector import FeodoConnector

if __name__ == "__main__":
    try:
        FeodoConnector().run()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
