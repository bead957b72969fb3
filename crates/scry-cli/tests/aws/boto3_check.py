"""Checks a running `scry server` with the real boto3, as a script written for Amazon
Inspector would use it. Run by crates/scry-cli/tests/server_aws.rs; prints one JSON object.

Environment: SCRY_URL, KEY1_ID/KEY1_SECRET (account 1, admin, holds findings),
KEY2_ID/KEY2_SECRET (account 2, admin, no findings), READER_ID/READER_SECRET (account 1, reader).
"""
import json
import os

import boto3
import botocore.exceptions

URL = os.environ["SCRY_URL"]


def client(key, secret, service="inspector2"):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def error_code(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


c1 = client(os.environ["KEY1_ID"], os.environ["KEY1_SECRET"])
c2 = client(os.environ["KEY2_ID"], os.environ["KEY2_SECRET"])
reader = client(os.environ["READER_ID"], os.environ["READER_SECRET"])
out = {}

# A paginator over list_findings, 7 per page.
pages = list(c1.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 7}))
arns = [f["findingArn"] for p in pages for f in p["findings"]]
out["paginated_pages"] = len(pages)
out["paginated_findings"] = len(arns)
out["paginated_unique"] = len(set(arns))
out["first_page_size"] = len(pages[0]["findings"])
out["statuses_before"] = sorted({f["status"] for p in pages for f in p["findings"]})

# Sorted and filtered: CRITICAL/HIGH on hosts, by inspector score descending.
sev = c1.list_findings(
    filterCriteria={
        "severity": [
            {"comparison": "EQUALS", "value": "CRITICAL"},
            {"comparison": "EQUALS", "value": "HIGH"},
        ],
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
    },
    sortCriteria={"field": "INSPECTOR_SCORE", "sortOrder": "DESC"},
    maxResults=100,
)["findings"]
out["high_or_critical"] = len(sev)
out["high_or_critical_severities"] = sorted({f["severity"] for f in sev})
scores = [f.get("inspectorScore", -1) for f in sev]
out["scores_sorted_desc"] = scores == sorted(scores, reverse=True)

# A suppression rule hides exactly what the same criteria list, and deleting it restores.
target = arns[0]
vuln = c1.batch_get_finding_details(findingArns=[target])
out["details_found"] = len(vuln["findingDetails"])
one = c1.list_findings(filterCriteria={"findingArn": [{"comparison": "EQUALS", "value": target}]})["findings"][0]
vid = one["packageVulnerabilityDetails"]["vulnerabilityId"]
criteria = {"vulnerabilityId": [{"comparison": "EQUALS", "value": vid}]}
expected = len(c1.list_findings(filterCriteria=criteria, maxResults=100)["findings"])
arn = c1.create_filter(name="suppress-" + vid, action="SUPPRESS", filterCriteria=criteria, reason="accepted risk")["arn"]
suppressed = c1.list_findings(
    filterCriteria={**criteria, "findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]},
    maxResults=100,
)["findings"]
out["suppress_expected"] = expected
out["suppressed_after_rule"] = len(suppressed)
out["filters_listed"] = [f["name"] for f in c1.list_filters(action="SUPPRESS")["filters"]]
out["duplicate_filter_name"] = error_code(
    lambda: c1.create_filter(name="suppress-" + vid, action="SUPPRESS", filterCriteria=criteria)
)
c1.tag_resource(resourceArn=arn, tags={"team": "security"})
out["filter_tags"] = c1.list_tags_for_resource(resourceArn=arn)["tags"]
c1.untag_resource(resourceArn=arn, tagKeys=["team"])
out["filter_tags_after_untag"] = c1.list_tags_for_resource(resourceArn=arn).get("tags", {})
c1.delete_filter(arn=arn)
out["suppressed_after_delete"] = len(
    c1.list_findings(filterCriteria={"findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]})["findings"]
)

# Account isolation.
out["account2_findings"] = len(c2.list_findings()["findings"])
out["account2_coverage"] = len(c2.list_coverage()["coveredResources"])
out["account2_details_errors"] = [e["errorCode"] for e in c2.batch_get_finding_details(findingArns=[target])["errors"]]

# Aggregations.
acc = c1.list_finding_aggregations(aggregationType="ACCOUNT")["responses"]
out["account_aggregation_all"] = acc[0]["accountAggregation"]["severityCounts"]["all"]
out["active_findings"] = len(
    [a for p in c1.get_paginator("list_findings").paginate(
        filterCriteria={"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}) for a in p["findings"]]
)
stats = c1.list_coverage_statistics(groupBy="RESOURCE_TYPE")
out["coverage_total"] = stats["totalCounts"]

# Errors the way boto3 users catch them.
try:
    c1.list_findings(maxResults=1000)
    out["validation"] = None
except c1.exceptions.ValidationException as e:
    out["validation"] = e.response["Error"]["Code"]
    out["validation_reason"] = e.response.get("reason")
out["bad_enum"] = error_code(
    lambda: c1.list_findings(filterCriteria={"severity": [{"comparison": "LIKE", "value": "HIGH"}]})
)
out["bad_token"] = error_code(lambda: c1.list_findings(nextToken="not-a-token"))
out["wrong_secret"] = error_code(lambda: client(os.environ["KEY1_ID"], "x" * 40).list_findings())
out["unknown_key"] = error_code(lambda: client("SCRYUNKNOWNKEY000000", "x" * 40).list_findings())
out["reader_list"] = len(reader.list_findings(maxResults=5)["findings"])
out["reader_create_filter"] = error_code(
    lambda: reader.create_filter(name="x", action="NONE", filterCriteria=criteria)
)
out["not_implemented"] = error_code(lambda: c1.list_cis_scans())
print(json.dumps(out))
