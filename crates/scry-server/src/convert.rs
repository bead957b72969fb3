//! Wire criteria to the store's criteria, and tokens for pagination.
//!
//! Criteria are converted member by member from their JSON form, so every member of
//! `FilterCriteria` and `CoverageFilterCriteria` is handled — the ones Scry keeps data for map
//! to store fields, the others to `Field::NoData` (positive conditions match nothing).

use base64::Engine;
use scry_store::criteria::{Cond, Criteria, Field, PackageCond, StrCond, Term};
use scry_wire::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn field(member: &str) -> Field {
    match member {
        "findingArn" => Field::FindingArn,
        "awsAccountId" | "accountId" => Field::AccountId,
        "findingType" => Field::FindingType,
        "severity" => Field::Severity,
        "findingStatus" => Field::FindingStatus,
        "title" => Field::Title,
        "inspectorScore" => Field::InspectorScore,
        "epssScore" => Field::EpssScore,
        "firstObservedAt" => Field::FirstObservedAt,
        "lastObservedAt" => Field::LastObservedAt,
        "updatedAt" => Field::UpdatedAt,
        "vulnerabilityId" => Field::VulnerabilityId,
        "vulnerabilitySource" => Field::VulnerabilitySource,
        "vendorSeverity" => Field::VendorSeverity,
        "relatedVulnerabilities" => Field::RelatedVulnerabilities,
        "fixAvailable" => Field::FixAvailable,
        "exploitAvailable" => Field::ExploitAvailable,
        "componentId" => Field::ComponentId,
        "componentType" => Field::ComponentType,
        "vulnerablePackages" => Field::VulnerablePackages,
        "resourceType" => Field::ResourceType,
        "resourceId" => Field::ResourceId,
        "resourceTags" | "ec2InstanceTags" | "lambdaFunctionTags" => Field::ResourceTags,
        "ec2InstanceImageId" => Field::Ec2InstanceImageId,
        "ecrImagePushedAt" => Field::EcrImagePushedAt,
        "ecrImageArchitecture" => Field::EcrImageArchitecture,
        "ecrImageRegistry" => Field::EcrImageRegistry,
        "ecrImageRepositoryName" | "ecrRepositoryName" => Field::EcrImageRepositoryName,
        "ecrImageTags" => Field::EcrImageTags,
        "ecrImageHash" => Field::EcrImageHash,
        "lambdaFunctionName" => Field::LambdaFunctionName,
        "lambdaFunctionLayers" => Field::LambdaFunctionLayers,
        "lambdaFunctionRuntime" => Field::LambdaFunctionRuntime,
        "lambdaFunctionLastModifiedAt" => Field::LambdaFunctionLastModifiedAt,
        "scanStatusCode" => Field::ScanStatusCode,
        "scanStatusReason" => Field::ScanStatusReason,
        "scanType" => Field::ScanType,
        "lastScannedAt" => Field::LastScannedAt,
        other => Field::NoData(other.to_string()),
    }
}

/// Fields stored in milliseconds (wire dates are epoch seconds).
fn is_time(f: &Field) -> bool {
    matches!(
        f,
        Field::FirstObservedAt
            | Field::LastObservedAt
            | Field::UpdatedAt
            | Field::EcrImagePushedAt
            | Field::LambdaFunctionLastModifiedAt
            | Field::LastScannedAt
    )
}

fn str_cond(v: &Value) -> Option<StrCond> {
    let value = v.get("value")?.as_str()?.to_string();
    Some(match v.get("comparison")?.as_str()? {
        "EQUALS" => StrCond::Equals(value),
        "PREFIX" => StrCond::Prefix(value),
        "NOT_EQUALS" => StrCond::NotEquals(value),
        _ => return None,
    })
}

fn num(v: &Value, k: &str, scale: f64) -> Option<f64> {
    v.get(k).and_then(Value::as_f64).map(|x| x * scale)
}

fn cond(f: &Field, v: &Value) -> Option<Cond> {
    if matches!(f, Field::ResourceTags) {
        return Some(Cond::Tag {
            key: v.get("key")?.as_str()?.to_string(),
            value: v.get("value").and_then(Value::as_str).map(str::to_string),
        });
    }
    if matches!(f, Field::VulnerablePackages) {
        let s = |k: &str| v.get(k).and_then(str_cond);
        return Some(Cond::Package(Box::new(PackageCond {
            name: s("name"),
            version: s("version"),
            epoch: v
                .get("epoch")
                .map(|e| (num(e, "lowerInclusive", 1.0), num(e, "upperInclusive", 1.0))),
            release: s("release"),
            architecture: s("architecture"),
            file_path: s("filePath"),
            source_layer_hash: s("sourceLayerHash"),
            source_lambda_layer_arn: s("sourceLambdaLayerArn"),
        })));
    }
    if v.get("comparison").is_some() {
        return Some(match str_cond(v)? {
            StrCond::Equals(s) => Cond::Equals(s),
            StrCond::Prefix(s) => Cond::Prefix(s),
            StrCond::NotEquals(s) => Cond::NotEquals(s),
        });
    }
    let scale = if is_time(f) { 1000.0 } else { 1.0 };
    if v.get("startInclusive").is_some() || v.get("endInclusive").is_some() {
        return Some(Cond::Range {
            lo: num(v, "startInclusive", scale),
            hi: num(v, "endInclusive", scale),
        });
    }
    if v.get("lowerInclusive").is_some() || v.get("upperInclusive").is_some() {
        return Some(Cond::Range {
            lo: num(v, "lowerInclusive", scale),
            hi: num(v, "upperInclusive", scale),
        });
    }
    if v.get("beginInclusive").is_some() {
        // PortRangeFilter: no network reachability data.
        return Some(Cond::Equals(String::new()));
    }
    None
}

/// Converts a wire criteria object (any `*FilterCriteria` shape) to store criteria.
pub fn criteria<T: Serialize>(wire: Option<&T>) -> Result<Criteria, ApiError> {
    let Some(wire) = wire else {
        return Ok(Criteria::default());
    };
    let v = serde_json::to_value(wire).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut out = Criteria::default();
    let Some(obj) = v.as_object() else {
        return Ok(out);
    };
    for (member, list) in obj {
        let f = field(member);
        let mut conds = Vec::new();
        for item in list.as_array().into_iter().flatten() {
            match cond(&f, item) {
                Some(c) => conds.push(c),
                None => {
                    return Err(ApiError::invalid(format!(
                        "filterCriteria.{member}: a filter Scry cannot read: {item}"
                    )))
                }
            }
        }
        if !conds.is_empty() {
            out.terms.push(Term { field: f, conds });
        }
    }
    Ok(out)
}

/// A pagination token: where the next page starts, bound to the request it continues.
#[derive(Debug, Serialize, Deserialize)]
struct Token<T> {
    /// Hash of the request without its token (a token is refused for another request).
    h: String,
    at: T,
}

pub fn request_hash<T: Serialize>(req: &T) -> String {
    let mut v = serde_json::to_value(req).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("nextToken");
        o.remove("maxResults");
    }
    hex::encode(&Sha256::digest(v.to_string().as_bytes())[..8])
}

pub fn encode_token<T: Serialize>(hash: &str, at: &T) -> String {
    let json = serde_json::to_vec(&Token {
        h: hash.to_string(),
        at,
    })
    .unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_token<T: for<'de> Deserialize<'de>>(
    hash: &str,
    token: Option<&str>,
) -> Result<Option<T>, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(
            "nextToken is not a token this operation returned for this request; start again without it",
        )
    };
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let t: Token<T> = serde_json::from_slice(&json).map_err(|_| bad())?;
    if t.h != hash {
        return Err(bad());
    }
    Ok(Some(t.at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_criteria_become_store_terms() {
        let wire: Value = serde_json::json!({
            "severity": [{"comparison": "EQUALS", "value": "HIGH"}, {"comparison": "EQUALS", "value": "CRITICAL"}],
            "firstObservedAt": [{"startInclusive": 1700000000}],
            "resourceTags": [{"comparison": "EQUALS", "key": "env", "value": "prod"}],
            "vulnerablePackages": [{"name": {"comparison": "EQUALS", "value": "openssl"}}],
            "portRange": [{"beginInclusive": 22, "endInclusive": 22}]
        });
        let c = criteria(Some(&wire)).unwrap();
        let find = |f: Field| c.terms.iter().find(|t| t.field == f).unwrap().conds.clone();
        assert_eq!(
            find(Field::Severity),
            vec![Cond::Equals("HIGH".into()), Cond::Equals("CRITICAL".into())]
        );
        assert_eq!(
            find(Field::FirstObservedAt),
            vec![Cond::Range {
                lo: Some(1.7e12),
                hi: None
            }]
        );
        assert_eq!(
            find(Field::ResourceTags),
            vec![Cond::Tag {
                key: "env".into(),
                value: Some("prod".into())
            }]
        );
        assert!(
            matches!(&find(Field::VulnerablePackages)[0], Cond::Package(p) if p.name == Some(StrCond::Equals("openssl".into())))
        );
        assert_eq!(find(Field::NoData("portRange".into())).len(), 1);
    }

    #[test]
    fn tokens_are_bound_to_their_request() {
        let t = encode_token("abc", &42i64);
        assert_eq!(decode_token::<i64>("abc", Some(&t)).unwrap(), Some(42));
        assert!(decode_token::<i64>("other", Some(&t)).is_err());
        assert!(decode_token::<i64>("abc", Some("!!!")).is_err());
        assert_eq!(decode_token::<i64>("abc", Some("")).unwrap(), None);
    }
}
