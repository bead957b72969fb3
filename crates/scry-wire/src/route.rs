//! Routing: matching a request's method and path against the model's `requestUri` templates.
//! A `{label}` matches exactly one non-empty path segment, which is percent-decoded (botocore
//! encodes ARNs in the path including `/` and `:`).

use percent_encoding::percent_decode_str;

use crate::operation::{Operation, Service};

/// Decoded path parameters (`{label}` → value) of a routed request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    /// The value of label `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Adds a parameter (for tests and callers that route by other means).
    pub fn insert(&mut self, name: &'static str, value: impl Into<String>) {
        self.0.push((name, value.into()));
    }
    /// All parameters, in template order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub(crate) fn route(
    service: Option<Service>,
    method: &str,
    path: &str,
) -> Option<(Operation, PathParams)> {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    for op in Operation::all() {
        if service.is_some_and(|s| s != op.service()) || !op.method().eq_ignore_ascii_case(method) {
            continue;
        }
        if let Some(params) = match_template(op.uri(), path) {
            return Some((op, params));
        }
    }
    None
}

fn match_template(template: &'static str, path: &str) -> Option<PathParams> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = PathParams::default();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(label) = ts.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    let v = percent_decode_str(ps).decode_utf8().ok()?;
                    params.insert(label, v.into_owned());
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_tags_with_encoded_arns() {
        let arn = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/filter/abc";
        let enc = "arn%3Aaws%3Ainspector2%3Aus-east-1%3A123456789012%3Aowner%2F123456789012%2Ffilter%2Fabc";
        for (m, op) in [
            ("POST", Operation::TagResource),
            ("GET", Operation::ListTagsForResource),
            ("DELETE", Operation::UntagResource),
        ] {
            let (o, p) = Operation::route(m, &format!("/tags/{enc}?tagKeys=a&tagKeys=b")).unwrap();
            assert_eq!(o, op);
            assert_eq!(p.get("resourceArn"), Some(arn));
        }
        assert_eq!(
            Operation::route("POST", "/findings/list").unwrap().0,
            Operation::ListFindings
        );
        assert_eq!(
            Operation::route("POST", "/scan/sbom").unwrap().0,
            Operation::ScanSbom
        );
        assert_eq!(Operation::route("GET", "/findings/list"), None);
        assert_eq!(Operation::route("POST", "/tags/"), None);
        assert_eq!(Operation::route("POST", "/nope"), None);
        assert_eq!(
            Operation::route_in(Service::Inspector2, "POST", "/scan/sbom"),
            None
        );
    }
}
