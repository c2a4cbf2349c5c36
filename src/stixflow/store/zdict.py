"""The preset dictionary stored object bodies and event payloads are deflated with (``compact``).

A zlib preset dictionary is text the compressor pretends it has just seen: a STIX object of a few
hundred bytes has little to repeat on its own, but almost all of its keys, its type, the
vocabulary values and the fixed ids it names are in here, so each costs a back-reference of two
or three bytes instead of its letters. Everything below comes from the STIX 2.1 specification
(property names §3-§6, open vocabularies §10, the TLP marking definitions §7.2.1.4), from
ATT&CK's and OpenCTI's custom properties, and from how JSON serialisers write them; nothing is
taken from a particular feed's objects. Deflate finds matches at shorter distances more cheaply,
so the most frequent strings come last.

Never edit ``VERSION_1``: every stored row deflated with it names it by its Adler-32 checksum, and
is read back with exactly these bytes. A better dictionary is a new constant, added to
``compact.DICTIONARIES`` and made the one written.
"""

from __future__ import annotations

_SCO = (
    '"type":"artifact","type":"autonomous-system","type":"directory","type":"email-addr",'
    '"type":"email-message","type":"mac-addr","type":"mutex","type":"network-traffic",'
    '"type":"process","type":"software","type":"user-account","type":"windows-registry-key",'
    '"type":"x509-certificate","type":"ipv6-addr","number":,"rir":"","path":"","is_multipart":'
    'false,"subject":"","from_ref":"email-addr--","to_refs":["email-addr--","src_ref":"dst_ref":'
    '"protocols":["tcp","udp","http","https","dns"],"src_port":,"dst_port":,"command_line":"',
    '"cpe":"cpe:2.3:a:","vendor":"","version":"","serial_number":"","issuer":"","key":"HKEY_'
    'LOCAL_MACHINE\\\\","user_id":"","account_login":"","display_name":"',
)
_SDO = (
    '"type":"grouping","context":"suspicious-activity","type":"incident","type":"infrastructure",'
    '"infrastructure_types":["command-and-control","type":"location","region":"","country":"",'
    '"latitude":,"longitude":,"type":"malware-analysis","product":"","analysis_engine_version":'
    '"type":"note","abstract":"","content":"","authors":["","type":"opinion","opinion":"agree",'
    '"type":"observed-data","first_observed":"","last_observed":"","number_observed":1,',
    '"type":"threat-actor","threat_actor_types":["crime-syndicate","criminal","hacker",'
    '"nation-state","activist","roles":["agent","director","sponsor","goals":["',
    '"resource_level":"government","organization","primary_motivation":"organizational-gain",'
    '"personal-gain","ideology","secondary_motivations":["sophistication":"expert","advanced",'
    '"strategic","type":"tool","tool_types":["remote-access","credential-exploitation",'
    '"tool_version":"","type":"vulnerability","source_name":"cve","external_id":"CVE-20',
    '"type":"campaign","objective":"","type":"identity","identity_class":"organization",'
    '"individual","class","sectors":["government","financial-services","technology",'
    '"contact_information":"","type":"report","report_types":["threat-report","published":"20',
    '"object_refs":["',
    '"type":"sighting","sighting_of_ref":"indicator--","where_sighted_refs":["identity--",'
    '"observed_data_refs":["observed-data--","count":',
)
_VOCABULARIES = (
    '"malware_types":["backdoor","bot","ddos","downloader","dropper","exploit-kit","keylogger",'
    '"ransomware","remote-access-trojan","resource-exploitation","rootkit","screen-capture",'
    '"spyware","trojan","virus","worm","unknown"],"is_family":true,"is_family":false,'
    '"implementation_languages":["architecture_execution_envs":["capabilities":["',
    '"indicator_types":["anomalous-activity","anonymization","benign","compromised",'
    '"attribution","malicious-activity"],',
    '"relationship_type":"attributed-to","relationship_type":"compromises",'
    '"relationship_type":"originates-from","relationship_type":"investigates",'
    '"relationship_type":"remediates","relationship_type":"located-at",'
    '"relationship_type":"based-on","relationship_type":"communicates-with",'
    '"relationship_type":"consists-of","relationship_type":"controls",'
    '"relationship_type":"delivers","relationship_type":"drops","relationship_type":"exploits",'
    '"relationship_type":"variant-of","relationship_type":"authored-by",'
    '"relationship_type":"beacons-to","relationship_type":"downloads","relationship_type":"has",'
    '"relationship_type":"hosts","relationship_type":"owns","relationship_type":"impersonates",'
    '"relationship_type":"characterizes","relationship_type":"related-to",'
    '"relationship_type":"duplicate-of","relationship_type":"derived-from",'
    '"relationship_type":"resolves-to","relationship_type":"belongs-to",'
    '"relationship_type":"detects","relationship_type":"subtechnique-of",'
    '"relationship_type":"revoked-by","relationship_type":"targets",'
    '"relationship_type":"mitigates","relationship_type":"indicates",'
    '"relationship_type":"uses",',
)
_MITRE = (
    '"x_mitre_deprecated":false,"x_mitre_is_subtechnique":false,"x_mitre_is_subtechnique":true,'
    '"x_mitre_data_sources":["x_mitre_detection":"","x_mitre_permissions_required":["User",'
    '"Administrator","SYSTEM","x_mitre_effective_permissions":["x_mitre_defense_bypassed":["',
    '"x_mitre_system_requirements":["x_mitre_remote_support":"x_mitre_impact_type":["',
    '"x_mitre_contributors":["x_mitre_aliases":["x_mitre_old_attack_id":"',
    '"x_mitre_collection_layers":["x_mitre_data_source_ref":"x-mitre-data-source--',
    '"x_mitre_log_source_references":["x_mitre_analytic_refs":["x-mitre-analytic--',
    '"x_mitre_detection_strategy_refs":["x-mitre-detection-strategy--","x_mitre_platforms":'
    '["Windows","Linux","macOS","Network","Containers","IaaS","SaaS","Office Suite",'
    '"Identity Provider","Android","iOS","x_mitre_tactic_type":["Post-Adversary Device Access"',
    '"x_mitre_domains":["enterprise-attack"],"x_mitre_domains":["mobile-attack"],'
    '"x_mitre_domains":["ics-attack"],"x_mitre_attack_spec_version":"3.2.0",'
    '"x_mitre_modified_by_ref":"identity--","x_mitre_version":"1.0","x_mitre_version":"',
    '"x_capec_version":"3.9","x_capec_status":"Stable","x_capec_abstraction":"Standard",'
    '"x_capec_likelihood_of_attack":"","x_capec_typical_severity":"',
    '"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"defense-evasion"},'
    '{"kill_chain_name":"mitre-attack","phase_name":"persistence"},{"kill_chain_name":'
    '"mitre-attack","phase_name":"privilege-escalation"},{"kill_chain_name":"mitre-attack",'
    '"phase_name":"execution"},{"kill_chain_name":"mitre-attack","phase_name":"discovery"},'
    '{"kill_chain_name":"mitre-attack","phase_name":"credential-access"},'
    '{"kill_chain_name":"mitre-attack","phase_name":"collection"},{"kill_chain_name":'
    '"mitre-attack","phase_name":"command-and-control"},{"kill_chain_name":"lockheed-martin-'
    'cyber-kill-chain","phase_name":"',
    '"external_references":[{"source_name":"mitre-attack","url":"https://attack.mitre.org/'
    'techniques/T1","external_id":"T1"},{"source_name":"capec","url":"https://capec.mitre.org/'
    'data/definitions/","external_id":"CAPEC-"},{"source_name":"cwe","external_id":"CWE-"},',
)
_OPENCTI = (
    '"x_opencti_detection":false,"x_opencti_main_observable_type":"","x_opencti_labels":["',
    '"x_opencti_created_by_ref":"","x_opencti_files":[{"name":"","data":"","mime_type":"',
    '"x_opencti_description":"","x_opencti_additional_names":["x_opencti_aliases":["',
    '"x_opencti_organization_type":"","x_opencti_reliability":"","x_opencti_location_type":"',
    '"x_opencti_workflow_id":"","x_opencti_stix_ids":["x_opencti_id":"',
    '"x_opencti_score":50,"x_opencti_score":',
    '"extensions":{"extension-definition--":{"extension_type":"property-extension",'
    '"id":"","type":"","created_at":"","updated_at":"',
)
_COMMON = (
    '"lang":"en","confidence":100,"confidence":50,"confidence":',
    '"granular_markings":[{"marking_ref":"marking-definition--","selectors":["description"]}],',
    '"type":"marking-definition","definition_type":"statement","definition":{"statement":"',
    '"definition_type":"tlp","definition":{"tlp":"white"},"definition":{"tlp":"green"},'
    '"definition":{"tlp":"amber"},"definition":{"tlp":"red"},"name":"TLP:WHITE","name":"TLP:CLEAR"'
    ',"name":"TLP:GREEN","name":"TLP:AMBER+STRICT","name":"TLP:AMBER","name":"TLP:RED",',
    '"hashes":{"MD5":"","SHA-1":"","SHA-256":"","SHA-512":"',
    '"pattern":"[file:hashes.MD5 = \'","pattern":"[file:hashes.\'SHA-1\' = \'",'
    '"pattern":"[file:hashes.\'SHA-256\' = \'","pattern":"[url:value = \'http://',
    '"pattern":"[url:value = \'https://","pattern":"[ipv6-addr:value = \'","pattern":'
    '"[email-addr:value = \'","pattern":"[domain-name:value = \'","pattern":"[ipv4-addr:value = \'',
    '\']","pattern_type":"stix","pattern_version":"2.1","valid_from":"20","valid_until":"20',
    '"type":"attack-pattern","type":"course-of-action","type":"intrusion-set","type":"malware",'
    '"type":"indicator","type":"relationship","type":"domain-name","type":"ipv4-addr",'
    '"type":"url","type":"file","type":"x-mitre-tactic","type":"x-mitre-matrix",'
    '"type":"x-mitre-collection","type":"x-mitre-data-source","type":"x-mitre-data-component",'
    '"type":"x-mitre-asset","type":"x-mitre-analytic","type":"x-mitre-detection-strategy",',
    '"first_seen":"20","last_seen":"20","start_time":"20","stop_time":"20',
    '"aliases":["","name":"","value":"","resolves_to_refs":["ipv4-addr--',
    '"labels":["malicious-activity"],"labels":["',
    '"description":"","revoked":true,"revoked":false,',
    '"external_references":[{"source_name":"","description":"","url":"https://',
    '","external_id":"',
    '"object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],'
    '"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],'
    '"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],'
    '"object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"],'
    '"object_marking_refs":["marking-definition--',
    '"created_by_ref":"identity--',
    '{"type":"relationship","spec_version":"2.1","id":"relationship--","created":"20',
    '","modified":"20","relationship_type":"uses","source_ref":"","target_ref":"',
    '{"created":"20","created_by_ref":"identity--","id":"relationship--","modified":"20',
    '","relationship_type":"uses","source_ref":"attack-pattern--","spec_version":"2.1",'
    '"target_ref":"attack-pattern--","type":"relationship"}',
    '{"type":"indicator","spec_version":"2.1","id":"indicator--","created":"20',
    'T00:00:00.000Z","modified":"20',
    '","source_ref":"intrusion-set--","source_ref":"malware--","source_ref":"indicator--",'
    '"source_ref":"course-of-action--","target_ref":"attack-pattern--","target_ref":"',
)

VERSION_1 = "".join((*_SCO, *_SDO, *_VOCABULARIES, *_MITRE, *_OPENCTI, *_COMMON)).encode()
