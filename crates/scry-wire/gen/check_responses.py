#!/usr/bin/env python3
"""Check that what scry-wire serialises parses with botocore's own restJson1 parser.

Reads tests/fixtures/responses.scry.json (which the Rust test `botocore_responses` asserts is
exactly what the typed response structs write), parses every body with
botocore.parsers.RestJSONParser against the operation's output shape, and checks that no member
is lost (every JSON key comes back) and that timestamps become datetimes.
"""
import datetime, json, os
import botocore.session
from botocore.parsers import RestJSONParser

HERE = os.path.dirname(os.path.abspath(__file__))
FX = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "responses.scry.json")


def same_keys(sent, parsed, path, shape):
    if isinstance(sent, dict):
        assert isinstance(parsed, dict), path
        for k, v in sent.items():
            if shape is not None and shape.type_name == "structure" and shape.is_document_type:
                sub = None
            elif shape is not None and shape.type_name == "structure":
                sub = shape.members[k]
            elif shape is not None and shape.type_name == "map":
                sub = shape.value
            else:
                sub = None
            assert k in parsed, f"{path}.{k} lost"
            same_keys(v, parsed[k], f"{path}.{k}", sub)
    elif isinstance(sent, list):
        assert len(sent) == len(parsed), path
        for i, (a, b) in enumerate(zip(sent, parsed)):
            same_keys(a, b, f"{path}[{i}]", shape.member if shape is not None and shape.type_name == "list" else None)
    elif shape is not None and shape.type_name == "timestamp":
        assert isinstance(parsed, datetime.datetime), path


def main():
    fx = json.load(open(FX))
    s = botocore.session.get_session()
    n = 0
    for svc in ("inspector2", "inspector-scan"):
        sm = s.get_service_model(svc)
        for op, body in fx.items():
            if op not in sm.operation_names:
                continue
            out = sm.operation_model(op).output_shape
            raw = json.dumps(body).encode()
            parsed = RestJSONParser().parse({"status_code": 200, "headers": {}, "body": raw}, out)
            parsed.pop("ResponseMetadata", None)
            same_keys(body, parsed, op, out)
            n += 1
    print(f"botocore parsed {n} responses without loss")


if __name__ == "__main__":
    main()
