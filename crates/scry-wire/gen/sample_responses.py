#!/usr/bin/env python3
"""Write tests/fixtures/responses.json: one "maximal" response per typed operation (every output
member filled; every union member of AggregationResponse once), which the Rust test
`botocore_responses` reads into the typed response structs and must write back unchanged.
`Finding` is limited to the members of the hand-written `scry_wire::Finding`.
"""
import json, os, sys
import botocore.session

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
from capture_requests import EXAMPLES  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "responses.json")
FINDING_MEMBERS = ["findingArn", "awsAccountId", "type", "description", "title", "remediation", "severity",
                   "firstObservedAt", "lastObservedAt", "updatedAt", "status", "resources", "inspectorScore",
                   "inspectorScoreDetails", "networkReachabilityDetails", "packageVulnerabilityDetails",
                   "fixAvailable", "exploitAvailable", "exploitabilityDetails", "epss"]

# Members of the model the hand-written Finding parts do not carry (yet): adding fields to those
# structs would break the other crates that build them with struct literals.
HANDWRITTEN_GAPS = {"VulnerablePackage": ["sourceLambdaLayerArn"],
                    "Resource": ["provider", "providerAccountId", "providerOrgId"]}


def sample(model, name):
    s = model[name]
    t = s["type"]
    if name in EXAMPLES:
        return EXAMPLES[name]
    if t == "structure":
        if s.get("document"):
            return {"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-2021-44228"}]}
        members = s["members"]
        if name == "Finding":
            members = {k: v for k, v in members.items() if k in FINDING_MEMBERS}
        members = {k: v for k, v in members.items() if k not in HANDWRITTEN_GAPS.get(name, ())}
        if s.get("union"):
            k, v = next(iter(members.items()))
            return {k: sample(model, v["shape"])}
        return {m: sample(model, v["shape"]) for m, v in members.items()}
    if t == "list":
        if s["member"]["shape"] == "AggregationResponse":
            u = model["AggregationResponse"]["members"]
            return [{k: sample(model, v["shape"])} for k, v in u.items()]
        return [sample(model, s["member"]["shape"])]
    if t == "map":
        return {"k": sample(model, s["value"]["shape"])}
    if t == "string":
        return s["enum"][0] if "enum" in s else "s"
    if t in ("integer", "long"):
        return int(s.get("min", 3))
    if t in ("double", "float"):
        return 7.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1704067200
    if t == "blob":
        return "YmxvYg=="
    raise SystemExit(t)


def main():
    s = botocore.session.get_session()
    out = {}
    for svc, ops in (("inspector2", gen.TYPED), ("inspector-scan", gen.TYPED_SCAN)):
        sm = s.get_service_model(svc)
        model = sm._shape_resolver._shape_map
        for op in ops:
            out[op] = sample(model, sm.operation_model(op).output_shape.name)
    json.dump(out, open(OUT, "w"), indent=1, sort_keys=True)
    print(f"{len(out)} responses → {OUT}")


if __name__ == "__main__":
    main()
