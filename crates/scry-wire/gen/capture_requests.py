#!/usr/bin/env python3
"""Record the exact requests botocore sends for scry-wire's typed operations.

Usage: python3 crates/scry-wire/gen/capture_requests.py  (botocore importable; PYTHONPATH may
point at a newer unpacked wheel). Writes tests/fixtures/requests.json: a list of
{"case", "operation", "method", "path", "body"} where path is the raw (percent-encoded) request
target with its query string and body the exact bytes botocore sent, as a string.

Cases are (a) hand-written calls like the CLI makes and (b) a "maximal" call per operation,
with every input member the model has filled by a sampler (enum → first value, pattern → a
known valid example), so that every member name is exercised.
"""
import json, os, sys
import botocore, botocore.session
from botocore.awsrequest import AWSResponse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "requests.json")
ARN = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/filter/abc"
FINDING = "arn:aws:inspector2:us-east-1:123456789012:finding/0123456789abcdef0123456789abcdef"
EXAMPLES = {
    "AccountId": "123456789012",
    "FindingArn": FINDING,
    "ReportId": "0b7f3c2e-1111-4a3b-9c1d-0123456789ab",
    "TagKey": "team",
    "UsageAccountId": "123456789012",
    "VulnId": "CVE-2024-3094",
}

HAND = [
    ("enable-cli", "inspector2", "enable", dict(resourceTypes=["EC2", "ECR"])),
    ("disable-empty", "inspector2", "disable", {}),
    ("batch-get-account-status-empty", "inspector2", "batch_get_account_status", {}),
    ("get-configuration", "inspector2", "get_configuration", {}),
    ("update-configuration", "inspector2", "update_configuration",
     dict(ecrConfiguration={"rescanDuration": "DAYS_30"}, ec2Configuration={"scanMode": "EC2_HYBRID"})),
    ("list-account-permissions", "inspector2", "list_account_permissions", dict(service="ECR", maxResults=10)),
    ("list-findings-cli", "inspector2", "list_findings",
     dict(filterCriteria={"resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}]}, maxResults=25)),
    ("list-findings-iso-date", "inspector2", "list_findings",
     dict(filterCriteria={"firstObservedAt": [{"startInclusive": "2024-01-01T00:00:00Z"}],
                          "severity": [{"comparison": "EQUALS", "value": "CRITICAL"}, {"comparison": "EQUALS", "value": "HIGH"}],
                          "inspectorScore": [{"lowerInclusive": 7.5, "upperInclusive": 10}],
                          "vulnerablePackages": [{"name": {"comparison": "EQUALS", "value": "openssl"}}]},
          sortCriteria={"field": "SEVERITY", "sortOrder": "DESC"}, nextToken="tok")),
    ("list-findings-empty", "inspector2", "list_findings", {}),
    ("list-finding-aggregations-account", "inspector2", "list_finding_aggregations",
     dict(aggregationType="ACCOUNT", aggregationRequest={"accountAggregation": {}})),
    ("batch-get-finding-details", "inspector2", "batch_get_finding_details", dict(findingArns=[FINDING])),
    ("list-coverage-empty", "inspector2", "list_coverage", {}),
    ("list-coverage-statistics", "inspector2", "list_coverage_statistics",
     dict(groupBy="RESOURCE_TYPE", filterCriteria={"scanStatusCode": [{"comparison": "EQUALS", "value": "ACTIVE"}]})),
    ("create-filter", "inspector2", "create_filter",
     dict(action="SUPPRESS", name="low-noise", description="d", reason="r",
          filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]}, tags={"team": "sec"})),
    ("update-filter", "inspector2", "update_filter", dict(filterArn=ARN, action="NONE")),
    ("delete-filter", "inspector2", "delete_filter", dict(arn=ARN)),
    ("list-filters", "inspector2", "list_filters", dict(action="SUPPRESS", arns=[ARN])),
    ("tag-resource", "inspector2", "tag_resource", dict(resourceArn=ARN, tags={"k": "v"})),
    ("untag-resource", "inspector2", "untag_resource", dict(resourceArn=ARN, tagKeys=["a", "b"])),
    ("list-tags-for-resource", "inspector2", "list_tags_for_resource", dict(resourceArn=ARN)),
    ("search-vulnerabilities", "inspector2", "search_vulnerabilities",
     dict(filterCriteria={"vulnerabilityIds": ["CVE-2021-44228"]})),
    ("list-usage-totals", "inspector2", "list_usage_totals", dict(accountIds=["123456789012"])),
    ("create-findings-report", "inspector2", "create_findings_report",
     dict(reportFormat="CSV", s3Destination={"bucketName": "b", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"})),
    ("get-findings-report-status-empty", "inspector2", "get_findings_report_status", {}),
    ("cancel-findings-report", "inspector2", "cancel_findings_report", dict(reportId=EXAMPLES["ReportId"])),
    ("create-sbom-export", "inspector2", "create_sbom_export",
     dict(reportFormat="CYCLONEDX_1_4", s3Destination={"bucketName": "b", "keyPrefix": "p/", "kmsKeyArn": "k"})),
    ("get-sbom-export", "inspector2", "get_sbom_export", dict(reportId=EXAMPLES["ReportId"])),
    ("cancel-sbom-export", "inspector2", "cancel_sbom_export", dict(reportId=EXAMPLES["ReportId"])),
    ("scan-sbom", "inspector-scan", "scan_sbom",
     dict(sbom={"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
         {"type": "library", "name": "log4j-core", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]},
          outputFormat="INSPECTOR")),
]


def sample(model, name, depth=0):
    s = model[name]
    t = s["type"]
    if name in EXAMPLES:
        return EXAMPLES[name]
    if t == "structure":
        if s.get("document"):
            return {"any": ["json", 1]}
        if s.get("union"):
            m, v = next(iter(s["members"].items()))
            return {m: sample(model, v["shape"], depth + 1)}
        return {m: sample(model, v["shape"], depth + 1) for m, v in s["members"].items()}
    if t == "list":
        return [sample(model, s["member"]["shape"], depth + 1)]
    if t == "map":
        return {"k": sample(model, s["value"]["shape"], depth + 1)}
    if t == "string":
        if "enum" in s:
            return s["enum"][0]
        if "pattern" in s:
            raise SystemExit(f"no example for pattern shape {name}")
        return "x" * max(1, s.get("min", 1))
    if t in ("integer", "long"):
        return int(s.get("min", 1))
    if t in ("double", "float"):
        return 1.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1704067200
    raise SystemExit(f"type {t}")


def main():
    session = botocore.session.get_session()
    clients = {svc: session.create_client(svc, region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
                                          aws_access_key_id="a", aws_secret_access_key="b")
               for svc in ("inspector2", "inspector-scan")}
    captured = []

    def hook(request, **kw):
        captured.append(request)
        r = AWSResponse(request.url, 200, {}, None)
        r._content = b"{}"
        return r

    for c in clients.values():
        c.meta.events.register("before-send", hook)
    records = []

    def call(case, svc, method, params):
        captured.clear()
        try:
            getattr(clients[svc], method)(**params)
        except Exception as e:  # the fake {} response may not satisfy the output; we only need the request
            if not captured:
                raise SystemExit(f"{case}: {e}")
        req = captured[0]
        from urllib.parse import urlsplit
        u = urlsplit(req.url)
        body = req.body or b""
        if isinstance(body, str):
            body = body.encode()
        op = clients[svc].meta.method_to_api_mapping[method]
        records.append({"case": case, "operation": op, "method": req.method,
                        "path": u.path + ("?" + u.query if u.query else ""), "body": body.decode()})

    for case in HAND:
        call(*case)
    # maximal cases: every member filled
    model = clients["inspector2"].meta.service_model._shape_resolver._shape_map
    for op in gen.TYPED:
        om = clients["inspector2"].meta.service_model.operation_model(op)
        shape = om.input_shape.name
        params = sample(model, shape)
        method = botocore.xform_name(op)
        if op == "ListFindingAggregations":
            agg = model["AggregationRequest"]
            for m, v in agg["members"].items():
                p = dict(params)
                p["aggregationRequest"] = {m: sample(model, v["shape"])}
                call(f"max-{op}-{m}", "inspector2", method, p)
            continue
        call(f"max-{op}", "inspector2", method, params)
    smodel = clients["inspector-scan"].meta.service_model._shape_resolver._shape_map
    call("max-ScanSbom", "inspector-scan", "scan_sbom", sample(smodel, "ScanSbomRequest"))
    json.dump(records, open(OUT, "w"), indent=1)
    print(f"{len(records)} requests → {OUT}")


if __name__ == "__main__":
    main()
