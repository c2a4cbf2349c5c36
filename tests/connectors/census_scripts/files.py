"""Run in pycti's own virtual environment: the file calls the census counts as served (samples,
attached files, exports, fetch_opencti_file). Prints one JSON object."""

import json
import os

from pycti import OpenCTIApiClient

URL = os.environ["OPENCTI_URL"]
api = OpenCTIApiClient(URL, os.environ["OPENCTI_TOKEN"], "error")
out = {}
SAMPLE = b"MZ\x90\x00census sample\x00\xff"


def files_of(entity):
    return [(f["name"], f["id"]) for f in entity.get("importFiles") or []]


def fetch(file_id):
    return api.fetch_opencti_file(f"{URL}/storage/get/{file_id}", binary=True)


artifact = api.stix_cyber_observable.upload_artifact(
    file_name="sample.exe",
    data=SAMPLE,
    mime_type="application/octet-stream",
    x_opencti_description="census sample",
)
read = api.stix_cyber_observable.read(id=artifact["id"])
out["stix_cyber_observable.upload_artifact"] = {
    "type": read["entity_type"],
    "sha256": {h["algorithm"]: h["hash"] for h in read["hashes"]}["SHA-256"],
    "files": [name for name, _ in files_of(read)],
}
sample_file = files_of(read)[0][1]
out["fetch_opencti_file"] = fetch(sample_file).hex()
out["SAMPLE_FILE"] = sample_file

ip = api.stix_cyber_observable.create(observableData={"type": "ipv4-addr", "value": "203.0.113.9"})
api.stix_cyber_observable.add_file(id=ip["id"], file_name="ip-notes.txt", data="seen twice")
ip_files = files_of(api.stix_cyber_observable.read(id=ip["id"]))
out["stix_cyber_observable.add_file"] = [ip_files[0][0], fetch(ip_files[0][1]).decode()]

malware = api.malware.create(name="FileBot", is_family=True)
api.stix_domain_object.add_file(id=malware["id"], file_name="report.txt", data="analysis")
sdo_files = files_of(api.stix_domain_object.read(id=malware["id"]))
out["stix_domain_object.add_file"] = [sdo_files[0][0], fetch(sdo_files[0][1]).decode()]

ref = api.external_reference.create(source_name="sandbox", url="https://example.org/report/1")
added = api.external_reference.add_file(
    id=ref["id"], file_name="sandbox.html", data="<p>report</p>"
)
out["external_reference.add_file"] = [
    added["data"]["externalReferenceEdit"]["importPush"]["name"],
    fetch(added["data"]["externalReferenceEdit"]["importPush"]["id"]).decode(),
]

api.stix_domain_object.push_entity_export(malware["id"], "filebot.json", '{"export": 1}', [])
exports = files_of(api.stix_domain_object.read(id=malware["id"]))
out["stix_domain_object.push_entity_export"] = sorted(name for name, _ in exports)
api.stix_core_object.push_analysis(
    malware["id"], "analysis.json", '{"ttps": []}', "content", "content", "import-document"
)
analysis = [
    f for f in files_of(api.stix_domain_object.read(id=malware["id"])) if f[0] == "analysis.json"
]
out["stix_core_object.push_analysis"] = [analysis[0][0], fetch(analysis[0][1]).decode()]
api.stix_domain_object.push_list_export(None, "Malware", "malwares.csv", [], "name\nFileBot\n")
api.stix_cyber_observable.push_list_export(None, "Stix-Cyber-Observable", "obs.csv", [], "x")
api.stix_core_object.push_list_export(None, "Stix-Core-Object", "core.csv", [], "y")
out["push_list_export"] = "ok"
print(json.dumps(out))
