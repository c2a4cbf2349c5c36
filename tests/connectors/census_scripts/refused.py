"""Run in pycti's own virtual environment as a caller who may not see TLP:RED data and may not
write: what the reads answer, and the errors the writes get. Prints one JSON object."""

import json
import os

from pycti import OpenCTIApiClient

api = OpenCTIApiClient(os.environ["OPENCTI_URL"], os.environ["OPENCTI_TOKEN"], "error")
red, green = os.environ["RED_ID"], os.environ["GREEN_ID"]
out = {
    "stix_domain_object.read(red)": api.stix_domain_object.read(id=red),
    "malware.read(red)": api.malware.read(id=red),
    "stix_core_object.read(red)": api.stix_core_object.read(id=red),
    "stix_domain_object.list": sorted(
        m["name"] for m in api.stix_domain_object.list(types=["Malware"])
    ),
    "malware.list(filter red)": api.malware.list(
        filters={
            "mode": "and",
            "filters": [{"key": "name", "values": ["RedBot"]}],
            "filterGroups": [],
        }
    ),
    "stix_domain_object.read(green)": api.stix_domain_object.read(id=green)["name"],
}


def refused(call):
    try:
        call()
    except ValueError as exc:
        return str(exc)
    return None


out["label.create"] = refused(lambda: api.label.create(value="nope"))
out["stix_domain_object.add_label"] = refused(
    lambda: api.stix_domain_object.add_label(id=green, label_id="label--x")
)
out["stix_domain_object.update_field"] = refused(
    lambda: api.stix_domain_object.update_field(
        id=green, input={"key": "description", "value": "x"}
    )
)
out["malware.create"] = refused(lambda: api.malware.create(name="Nope", is_family=True))
out["external_reference.create"] = refused(
    lambda: api.external_reference.create(source_name="nope", url="https://example.org/")
)
print(json.dumps(out))
