import csv
import io
import sys
from datetime import UTC, datetime

import stix2
from pycti import Identity, Indicator, OpenCTIConnectorHelper, get_config_variable


class ConfigConnector:
    """The template's configuration: a config.yml beside the code, or the environment."""

    def __init__(self):
        self.load = {}
        self.duration_period = get_config_variable(
            "CONNECTOR_DURATION_PERIOD", ["connector", "duration_period"], self.load
        )
        self.csv_path = get_config_variable("FEODO_CSV_PATH", ["feodo", "csv_path"], self.load)
        self.start_date = get_config_variable(
            "FEODO_IMPORT_START_DATE", ["feodo", "import_start_date"], self.load
        )


class FeodoConnector:
    def __init__(self):
        self.config = ConfigConnector()
        self.helper = OpenCTIConnectorHelper(self.config.load)
        # The usual start-up calls: the author organization and a TLP marking
        self.author = self.helper.api.identity.create(
            type="Organization", name="abuse.ch", description="Feodo Tracker"
        )
        self.tlp = self.helper.api.marking_definition.read(
            filters={
                "mode": "and",
                "filters": [{"key": "definition", "values": ["TLP:CLEAR"]}],
                "filterGroups": [],
            }
        )

    def _rows(self, since):
        with open(self.config.csv_path, encoding="utf-8") as handle:
            lines = [line for line in handle if not line.startswith("#")]
        for row in csv.DictReader(io.StringIO("".join(lines))):
            if row["first_seen_utc"] > since:
                yield row

    def _collect_intelligence(self, since):
        author = stix2.Identity(
            id=Identity.generate_id("abuse.ch", "organization"),
            name="abuse.ch",
            identity_class="organization",
        )
        objects, newest = [author], since
        for row in self._rows(since):
            pattern = f"[ipv4-addr:value = '{row['dst_ip']}']"
            objects.append(
                stix2.Indicator(
                    id=Indicator.generate_id(pattern),
                    name=row["dst_ip"],
                    description=f"{row['malware']} C2 on port {row['dst_port']}",
                    pattern=pattern,
                    pattern_type="stix",
                    valid_from=row["first_seen_utc"].replace(" ", "T") + "Z",
                    created_by_ref=author.id,
                    object_marking_refs=[stix2.TLP_WHITE.id],
                    labels=[row["malware"].lower()],
                )
            )
            newest = max(newest, row["first_seen_utc"])
        return (objects if len(objects) > 1 else []), newest

    def process_message(self):
        self.helper.connector_logger.info(
            "[CONNECTOR] Starting connector...", {"connector_name": self.helper.connect_name}
        )
        try:
            current_state = self.helper.get_state()
            if current_state is not None and "last_seen" in current_state:
                since = current_state["last_seen"]
                runs = current_state.get("runs", 0)
            else:
                self.helper.connector_logger.info("[CONNECTOR] Connector has never run...")
                since, runs = self.config.start_date, 0
            work_id = self.helper.api.work.initiate_work(self.helper.connect_id, "Feodo C2 IPs")
            stix_objects, newest = self._collect_intelligence(since)
            if stix_objects:
                bundle = self.helper.stix2_create_bundle(stix_objects)
                sent = self.helper.send_stix2_bundle(
                    bundle, work_id=work_id, cleanup_inconsistent_bundle=True
                )
                self.helper.connector_logger.info("Sent", {"bundles_sent": len(sent)})
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
            self.helper.set_state({"last_run": now, "last_seen": newest, "runs": runs + 1})
            self.helper.api.work.to_processed(work_id, f"{self.helper.connect_name} ran")
        except (KeyboardInterrupt, SystemExit):
            sys.exit(0)
        except Exception as err:
            self.helper.connector_logger.error(str(err))

    def run(self):
        self.helper.schedule_iso(
            message_callback=self.process_message,
            duration_period=self.config.duration_period,
        )
