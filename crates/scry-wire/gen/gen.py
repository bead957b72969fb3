#!/usr/bin/env python3
"""Generate scry-wire's operation table and typed shapes from the botocore models.

Usage: python3 crates/scry-wire/gen/gen.py [BOTOCORE_DATA_DIR]
(default: the data dir of the importable botocore). Writes
  src/operation_table.rs, src/shapes.rs, tests/fixtures/operations.json
Re-run after updating botocore, then `cargo fmt` and `cargo test -p scry-wire`.
"""
import gzip, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.dirname(HERE)

# Operations with typed request/response shapes.
TYPED = """Enable Disable BatchGetAccountStatus GetConfiguration UpdateConfiguration
ListAccountPermissions ListFindings ListFindingAggregations BatchGetFindingDetails ListCoverage
ListCoverageStatistics CreateFilter UpdateFilter DeleteFilter ListFilters TagResource UntagResource
ListTagsForResource SearchVulnerabilities ListUsageTotals CreateFindingsReport
GetFindingsReportStatus CancelFindingsReport CreateSbomExport GetSbomExport CancelSbomExport""".split()
TYPED_SCAN = ["ScanSbom"]

# Shapes served by hand-written types elsewhere in the crate (kept for API stability).
OVERRIDES = {"Finding": "crate::Finding"}

KEYWORDS = {"type": "ty", "match": "match_", "ref": "ref_", "self": "self_", "mod": "mod_",
            "in": "in_", "fn": "fn_", "use": "use_", "where": "where_", "struct": "struct_"}


def load(data_dir, svc, ver):
    p = os.path.join(data_dir, svc, ver, "service-2.json")
    if os.path.exists(p):
        return json.load(open(p))
    return json.load(gzip.open(p + ".gz"))


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()
    return KEYWORDS.get(s, s)


def screaming(name):
    return snake(name).upper().rstrip("_")


def doc(text, indent=""):
    if not text:
        return ""
    t = re.sub(r"<[^>]+>", "", text)
    t = re.sub(r"\s+", " ", t).strip()
    t = t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&quot;", '"')
    m = re.match(r"(.+?\.)(\s|$)", t)
    if m:
        t = m.group(1)
    if len(t) > 240:
        t = t[:237].rsplit(" ", 1)[0] + "..."
    t = t.replace("[", "\\[").replace("]", "\\]").replace("<", "\\<").replace(">", "\\>")
    t = t.replace("`", "'")
    return f"{indent}/// {t}\n"


def rust_lit(s):
    return json.dumps(s)


class Gen:
    def __init__(self, i2, scan):
        self.shapes = {}
        self.i2, self.scan = i2, scan
        for n, s in i2["shapes"].items():
            self.shapes[n] = s
        for n, s in scan["shapes"].items():
            if n in self.shapes and n not in ("ValidationException", "InternalServerException",
                                               "ThrottlingException", "AccessDeniedException",
                                               "ValidationExceptionField", "ValidationExceptionFields",
                                               "ValidationExceptionReason", "String", "Integer"):
                if s != self.shapes[n]:
                    raise SystemExit(f"shape clash {n}")
            self.shapes.setdefault(n, s)
        self.patterns = []
        self.inputs = set()   # shapes reachable from typed inputs (need Validate)
        self.all = set()      # every generated shape
        self.request_of = {}  # input shape -> (op, output)

    def walk(self, n, acc):
        if n in acc or n in OVERRIDES:
            return
        acc.add(n)
        s = self.shapes[n]
        for k in ("member", "key", "value"):
            if k in s:
                self.walk(s[k]["shape"], acc)
        for m in s.get("members", {}).values():
            self.walk(m["shape"], acc)

    def rtype(self, n):
        if n in OVERRIDES:
            return OVERRIDES[n]
        s = self.shapes[n]
        t = s["type"]
        if t == "structure":
            return "serde_json::Value" if s.get("document") else n
        if t == "list":
            return f"Vec<{self.rtype(s['member']['shape'])}>"
        if t == "map":
            return f"BTreeMap<String, {self.rtype(s['value']['shape'])}>"
        return {"string": "String", "integer": "i32", "long": "i64", "double": "f64",
                "float": "f64", "boolean": "bool", "timestamp": "Timestamp",
                "blob": "String"}[t]

    def defaultable(self, n):
        if n in OVERRIDES:
            return False
        s = self.shapes[n]
        if s["type"] != "structure" or s.get("document"):
            return True
        if s.get("union"):
            return False
        return all(self.defaultable(s["members"][m]["shape"]) for m in s.get("required", []))

    def pattern_index(self, p):
        if p not in self.patterns:
            self.patterns.append(p)
        return self.patterns.index(p)

    def has_checks(self, n, seen=None):
        s = self.shapes[n]
        t = s["type"]
        if n in OVERRIDES or s.get("document"):
            return False
        if t == "structure":
            return True  # every input structure gets a Validate impl
        if t == "list":
            return "min" in s or "max" in s or self.has_checks(s["member"]["shape"])
        if t == "map":
            return ("min" in s or "max" in s or self.has_checks(s["key"]["shape"])
                    or self.has_checks(s["value"]["shape"]))
        return any(k in s for k in ("min", "max", "pattern", "enum"))

    # ---------- emitters ----------
    def check_fn(self, n):
        """A fn check_<n>(p, v, errs) for a non-structure shape with constraints."""
        s = self.shapes[n]
        t = s["type"]
        rt = self.rtype(n)
        fn = f"check_{snake(n)}"
        out = []
        if t == "string":
            mn = f"Some({s['min']})" if "min" in s else "None"
            mx = f"Some({s['max']})" if "max" in s else "None"
            pat = "None"
            if "pattern" in s:
                pat = f"Some({self.pattern_index(s['pattern'])})"
            en = f"Some(enums::{screaming(n)})" if "enum" in s else "None"
            out.append(f"fn {fn}(p: &Path<'_>, v: &str, errs: &mut Vec<FieldError>) {{\n"
                       f"    check::string(p, v, {mn}, {mx}, {pat}, {en}, errs);\n}}\n")
        elif t in ("integer", "long", "double", "float"):
            mn = f"Some({float(s['min'])!r})" if "min" in s else "None"
            mx = f"Some({float(s['max'])!r})" if "max" in s else "None"
            out.append(f"fn {fn}(p: &Path<'_>, v: {rt}, errs: &mut Vec<FieldError>) {{\n"
                       f"    check::number(p, v as f64, {mn}, {mx}, errs);\n}}\n")
        elif t == "list":
            mn = f"Some({s['min']})" if "min" in s else "None"
            mx = f"Some({s['max']})" if "max" in s else "None"
            el = s["member"]["shape"]
            body = f"    check::size(p, v.len(), {mn}, {mx}, errs);\n"
            if self.has_checks(el):
                body += (f"    for (i, e) in v.iter().enumerate() {{\n"
                         f"        {self.call(el, 'p.index(i)', 'e', True)}\n    }}\n")
            out.append(f"fn {fn}(p: &Path<'_>, v: &[{self.rtype(el)}], errs: &mut Vec<FieldError>) {{\n{body}}}\n")
        elif t == "map":
            mn = f"Some({s['min']})" if "min" in s else "None"
            mx = f"Some({s['max']})" if "max" in s else "None"
            k, val = s["key"]["shape"], s["value"]["shape"]
            body = f"    check::size(p, v.len(), {mn}, {mx}, errs);\n"
            if self.has_checks(k) or self.has_checks(val):
                body += "    for (k, e) in v {\n"
                if self.has_checks(k):
                    body += f"        {self.call(k, 'p.key(k)', 'k', True)}\n"
                if self.has_checks(val):
                    body += f"        {self.call(val, 'p.key(k)', 'e', True)}\n"
                body += "    }\n"
            out.append(f"fn {fn}(p: &Path<'_>, v: &{rt}, errs: &mut Vec<FieldError>) {{\n{body}}}\n")
        else:
            return ""
        return "".join(out)

    def call(self, n, path, var, is_ref):
        """Statement checking `var` (a reference) of shape n at `path`."""
        s = self.shapes[n]
        t = s["type"]
        if t == "structure":
            return f"{var}.validate_at(&{path}, errs);"
        if t in ("integer", "long", "double", "float", "boolean"):
            return f"check_{snake(n)}(&{path}, *{var}, errs);"
        return f"check_{snake(n)}(&{path}, {var}, errs);"

    def struct(self, n, validate):
        s = self.shapes[n]
        req = set(s.get("required", []))
        out = [doc(s.get("documentation"))]
        if s.get("union"):
            out.append("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n")
            out.append(f"pub enum {n} {{\n")
            for mn, m in s["members"].items():
                out.append(doc(m.get("documentation"), "    "))
                out.append(f"    #[serde(rename = {rust_lit(mn)})]\n")
                out.append(f"    {mn[0].upper() + mn[1:]}({self.rtype(m['shape'])}),\n")
            out.append("}\n\n")
            if validate:
                out.append(f"impl Validate for {n} {{\n    fn validate_at(&self, path: &Path<'_>, errs: &mut Vec<FieldError>) {{\n        match self {{\n")
                for mn, m in s["members"].items():
                    v = mn[0].upper() + mn[1:]
                    if self.has_checks(m["shape"]):
                        out.append(f"            Self::{v}(x) => {{ {self.call(m['shape'], f'path.field({rust_lit(mn)})', 'x', True)} }}\n")
                    else:
                        out.append(f"            Self::{v}(_) => {{}}\n")
                out.append("        }\n    }\n}\n\n")
            return "".join(out)
        derives = "Debug, Clone, PartialEq, Serialize, Deserialize"
        if self.defaultable(n):
            derives += ", Default"
        out.append(f"#[derive({derives})]\npub struct {n} {{\n")
        for mn, m in s["members"].items():
            tn = m["shape"]
            ts = self.shapes[tn]
            rt = self.rtype(tn)
            f = snake(mn)
            out.append(doc(m.get("documentation"), "    "))
            loc = m.get("location")
            attrs = [f"rename = {rust_lit(mn)}"]
            if loc:
                if loc not in ("uri", "querystring"):
                    raise SystemExit(f"unsupported location {loc} in {n}.{mn}")
                attrs = ["skip"]
                out.append(f"    /// Bound from the request's {'path' if loc == 'uri' else 'query string'} (`{m.get('locationName', mn)}`), not the body.\n")
            is_ts = ts["type"] == "timestamp"
            if mn in req or loc:
                if is_ts and not loc:
                    attrs.append('with = "crate::time::epoch"')
                ty = rt
            else:
                attrs += ["default", 'skip_serializing_if = "Option::is_none"']
                if is_ts:
                    attrs.append('with = "crate::time::opt_epoch"')
                ty = f"Option<{rt}>"
            if ts["type"] in ("list", "map"):
                inner = ts.get("member", ts.get("value"))["shape"]
                if self.shapes[inner]["type"] == "timestamp":
                    raise SystemExit(f"timestamp collection {n}.{mn}")
            out.append(f"    #[serde({', '.join(attrs)})]\n    pub {f}: {ty},\n")
        out.append("}\n\n")
        if validate:
            out.append(f"impl Validate for {n} {{\n    #[allow(unused_variables)]\n    fn validate_at(&self, path: &Path<'_>, errs: &mut Vec<FieldError>) {{\n")
            for mn, m in s["members"].items():
                tn = m["shape"]
                if not self.has_checks(tn):
                    continue
                f = snake(mn)
                p = f"path.field({rust_lit(mn)})"
                if mn in req or m.get("location"):
                    out.append(f"        {{ let x = &self.{f}; {self.call(tn, p, 'x', True)} }}\n")
                else:
                    out.append(f"        if let Some(x) = &self.{f} {{ {self.call(tn, p, 'x', True)} }}\n")
            out.append("    }\n}\n\n")
        return "".join(out)

    def run(self):
        i2ops, scanops = self.i2["operations"], self.scan["operations"]
        typed = [(o, i2ops[o], "Inspector2") for o in TYPED] + [(o, scanops[o], "InspectorScan") for o in TYPED_SCAN]
        outputs = set()
        for name, op, _ in typed:
            self.walk(op["input"]["shape"], self.inputs)
            if "output" in op:
                self.walk(op["output"]["shape"], outputs)
            self.request_of[op["input"]["shape"]] = (name, op.get("output", {}).get("shape"))
        self.all = self.inputs | outputs
        structs = sorted(n for n in self.all if self.shapes[n]["type"] == "structure" and not self.shapes[n].get("document"))
        enums = sorted(n for n in self.all if "enum" in self.shapes[n])
        checks = sorted(n for n in self.inputs if self.shapes[n]["type"] != "structure" and self.has_checks(n))

        body = []
        body.append("// @generated by crates/scry-wire/gen/gen.py from the botocore models. Do not edit.\n")
        body.append("//! Typed request/response shapes generated from the botocore service models\n")
        body.append(f"//! (inspector2 {self.i2['metadata']['apiVersion']}, inspector-scan {self.scan['metadata']['apiVersion']}).\n//!\n")
        body.append("//! Member names are the model's exactly; non-required members are `Option`; enums are kept as\n")
        body.append("//! `String` (their value sets are in [`enums`]) so unknown values reach validation; timestamps are\n")
        body.append("//! epoch seconds. Every shape reachable from a typed request implements [`Validate`].\n\n")
        body.append("#![allow(clippy::doc_markdown, clippy::large_enum_variant)]\n\n")
        body.append("use std::collections::BTreeMap;\n\nuse serde::{Deserialize, Serialize};\n\n")
        body.append("use crate::operation::Operation;\nuse crate::request::{Bind, Request};\nuse crate::route::PathParams;\n")
        body.append("use crate::validate::{check, FieldError, Path, Validate};\nuse crate::Timestamp;\n\n")
        body.append("/// Value sets of the model's enum shapes, by shape name in SCREAMING_SNAKE_CASE.\npub mod enums {\n")
        for n in enums:
            body.append(f"    /// `{n}`\n    pub const {screaming(n)}: &[&str] = &[{', '.join(rust_lit(v) for v in self.shapes[n]['enum'])}];\n")
        body.append("}\n\n")
        for n in structs:
            body.append(self.struct(n, n in self.inputs))
        for n in checks:
            body.append(self.check_fn(n))
        # Request impls
        for name, op, svc in typed:
            ins = op["input"]["shape"]
            outs = op.get("output", {}).get("shape")
            s = self.shapes[ins]
            locs = [(mn, m) for mn, m in s["members"].items() if m.get("location")]
            body.append(f"impl Request for {ins} {{\n    const OPERATION: Operation = Operation::{name};\n    type Response = {outs or '()'};\n}}\n\n")
            body.append(f"impl Bind for {ins} {{\n")
            if locs:
                pn = "params" if any(m["location"] == "uri" for _, m in locs) else "_params"
                qn = "query" if any(m["location"] == "querystring" for _, m in locs) else "_query"
                body.append(f"    fn bind(&mut self, {pn}: &PathParams, {qn}: &[(String, String)], errs: &mut Vec<FieldError>) {{\n")
                for mn, m in locs:
                    ln = m.get("locationName", mn)
                    f = snake(mn)
                    ts = self.shapes[m["shape"]]
                    required = mn in s.get("required", [])
                    if m["location"] == "uri":
                        body.append(f"        match params.get({rust_lit(ln)}) {{ Some(v) => self.{f} = v.to_string(), None => errs.push(FieldError::missing(&Path::Root.field({rust_lit(mn)}))) }}\n")
                    elif ts["type"] == "list":
                        body.append(f"        self.{f} = query.iter().filter(|(k, _)| k == {rust_lit(ln)}).map(|(_, v)| v.clone()).collect();\n")
                        if required:
                            body.append(f"        if !query.iter().any(|(k, _)| k == {rust_lit(ln)}) {{ errs.push(FieldError::missing(&Path::Root.field({rust_lit(mn)}))); }}\n")
                    else:
                        raise SystemExit(f"unsupported querystring {ins}.{mn}")
                body.append("    }\n")
            body.append("}\n\n")
        # pattern table
        body.append("/// The model's `pattern` constraints, indexed by the generated checks.\n")
        body.append("pub(crate) static PATTERNS: &[&str] = &[\n")
        for p in self.patterns:
            body.append(f"    {rust_lit(p)},\n")
        body.append("];\n")
        open(os.path.join(CRATE, "src", "shapes.rs"), "w").write("".join(body))

        # operation table
        ops = [(n, o, "Inspector2") for n, o in sorted(i2ops.items())] + [(n, o, "InspectorScan") for n, o in sorted(scanops.items())]
        t = []
        t.append("// @generated by crates/scry-wire/gen/gen.py from the botocore models. Do not edit.\n")
        t.append("use super::Service;\n\n")
        t.append("/// (operation, service, HTTP method, requestUri, success status, has typed shapes)\n")
        t.append(f"pub(super) static TABLE: [(Operation, Service, &str, &str, u16, bool); {len(ops)}] = [\n")
        for n, o, svc in ops:
            h = o["http"]
            typed_ = n in TYPED or n in TYPED_SCAN
            t.append(f"    (Operation::{n}, Service::{svc}, {rust_lit(h['method'])}, {rust_lit(h['requestUri'])}, {h.get('responseCode', 200)}, {str(typed_).lower()}),\n")
        t.append("];\n\n")
        t.append("/// Every operation of both services.\n")
        t.append("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Operation {\n")
        for n, o, svc in ops:
            t.append(doc(o.get("documentation"), "    "))
            t.append(f"    {n},\n")
        t.append("}\n\nimpl Operation {\n    /// The AWS operation name.\n    pub const fn name(self) -> &'static str {\n        match self {\n")
        for n, o, svc in ops:
            t.append(f"            Operation::{n} => {rust_lit(n)},\n")
        t.append("        }\n    }\n}\n")
        open(os.path.join(CRATE, "src", "operation", "table.rs"), "w").write("".join(t))
        fx = {n: [o["http"]["method"], o["http"]["requestUri"]] for n, o, _ in ops}
        json.dump(fx, open(os.path.join(CRATE, "tests", "fixtures", "operations.json"), "w"), indent=1, sort_keys=True)


def main():
    if len(sys.argv) > 1:
        data = sys.argv[1]
    else:
        import botocore
        data = os.path.join(os.path.dirname(botocore.__file__), "data")
    i2 = load(data, "inspector2", "2020-06-08")
    scan = load(data, "inspector-scan", "2023-08-08")
    Gen(i2, scan).run()


if __name__ == "__main__":
    main()
