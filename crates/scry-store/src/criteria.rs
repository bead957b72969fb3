//! Filter criteria over findings and resources, and their translation to SQL.
//!
//! One implementation of the filter semantics serves listing, aggregating, counting and
//! suppression rules, so a rule suppresses exactly what the same criteria list.
//!
//! Semantics (Inspector's): terms on different fields are ANDed. Within one field, the
//! positive conditions (`Equals`, `Prefix`, ranges, tag and package matches) are ORed and
//! every `NotEquals` must also hold. A field Scry has no data for (network reachability, code
//! vulnerabilities, cloud VM metadata) is NULL: positive conditions on it match nothing and
//! `NotEquals` matches everything.

use serde::{Deserialize, Serialize};

/// ANDed terms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Criteria {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub field: Field,
    pub conds: Vec<Cond>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cond {
    Equals(String),
    Prefix(String),
    NotEquals(String),
    /// Inclusive bounds. Times are milliseconds since the epoch.
    Range {
        lo: Option<f64>,
        hi: Option<f64>,
    },
    /// A resource tag with this key (and value, when given).
    Tag {
        key: String,
        value: Option<String>,
    },
    Package(Box<PackageCond>),
}

/// A vulnerable package: every given part must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageCond {
    pub name: Option<StrCond>,
    pub version: Option<StrCond>,
    pub epoch: Option<(Option<f64>, Option<f64>)>,
    pub release: Option<StrCond>,
    pub architecture: Option<StrCond>,
    pub file_path: Option<StrCond>,
    pub source_layer_hash: Option<StrCond>,
    pub source_lambda_layer_arn: Option<StrCond>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StrCond {
    Equals(String),
    Prefix(String),
    NotEquals(String),
}

/// Everything a criterion can name. Finding fields, then resource fields, then coverage-only
/// fields; `NoData` is a field Scry keeps nothing for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    FindingArn,
    AccountId,
    FindingType,
    Severity,
    FindingStatus,
    Title,
    InspectorScore,
    EpssScore,
    FirstObservedAt,
    LastObservedAt,
    UpdatedAt,
    VulnerabilityId,
    VulnerabilitySource,
    VendorSeverity,
    RelatedVulnerabilities,
    FixAvailable,
    ExploitAvailable,
    ComponentId,
    ComponentType,
    VulnerablePackages,
    ResourceType,
    ResourceId,
    ResourceTags,
    Ec2InstanceImageId,
    EcrImagePushedAt,
    EcrImageArchitecture,
    EcrImageRegistry,
    EcrImageRepositoryName,
    EcrImageTags,
    EcrImageHash,
    LambdaFunctionName,
    LambdaFunctionLayers,
    LambdaFunctionRuntime,
    LambdaFunctionLastModifiedAt,
    Platform,
    // Coverage.
    ScanStatusCode,
    ScanStatusReason,
    ScanType,
    LastScannedAt,
    /// A field of the API that Scry holds no data for (named for error messages).
    NoData(String),
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Real(f64),
    Int(i64),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(s) => s.as_str().into(),
            Param::Real(f) => (*f).into(),
            Param::Int(i) => (*i).into(),
        })
    }
}

/// How a field is stored.
enum Column {
    /// A scalar text column.
    Text(&'static str),
    /// A `|a|b|` multi-valued text column.
    Multi(&'static str),
    Number(&'static str),
    Tags,
    Package,
    Null,
}

/// Which table a criteria set is evaluated over: findings joined with their resource (`f`,
/// `r`), or resources alone (`r`, for coverage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Findings,
    Resources,
}

fn column(field: &Field, over: Over) -> Column {
    use Column::*;
    let findings = over == Over::Findings;
    match field {
        Field::FindingArn if findings => Text("f.arn"),
        Field::AccountId => Text("r.account_id"),
        Field::FindingType if findings => Text("f.finding_type"),
        Field::Severity if findings => Text("f.severity"),
        Field::FindingStatus if findings => Text("f.status"),
        Field::Title if findings => Text("f.title"),
        Field::InspectorScore if findings => Number("f.inspector_score"),
        Field::EpssScore if findings => Number("f.epss"),
        Field::FirstObservedAt if findings => Number("f.first_observed_at"),
        Field::LastObservedAt if findings => Number("f.last_observed_at"),
        Field::UpdatedAt if findings => Number("f.updated_at"),
        Field::VulnerabilityId if findings => Text("f.vulnerability_id"),
        Field::VulnerabilitySource if findings => Text("f.vulnerability_source"),
        Field::VendorSeverity if findings => Text("f.vendor_severity"),
        Field::RelatedVulnerabilities if findings => Multi("f.related"),
        Field::FixAvailable if findings => Text("f.fix_available"),
        Field::ExploitAvailable if findings => Text("f.exploit_available"),
        Field::ComponentId if findings => Text("f.pkg_name"),
        Field::ComponentType if findings => Text("f.finding_type"),
        Field::VulnerablePackages if findings => Package,
        Field::ResourceType => Text("r.resource_type"),
        Field::ResourceId => Text("r.resource_id"),
        Field::ResourceTags => Tags,
        Field::Ec2InstanceImageId => Text("r.ec2_image_id"),
        Field::EcrImagePushedAt => Number("r.ecr_pushed_at"),
        Field::EcrImageArchitecture => Text("r.ecr_architecture"),
        Field::EcrImageRegistry => Text("r.ecr_registry"),
        Field::EcrImageRepositoryName => Text("r.ecr_repository"),
        Field::EcrImageTags => Multi("r.ecr_image_tags"),
        Field::EcrImageHash => Text("r.ecr_image_hash"),
        Field::LambdaFunctionName => Text("r.lambda_name"),
        Field::LambdaFunctionLayers => Multi("r.lambda_layers"),
        Field::LambdaFunctionRuntime => Text("r.lambda_runtime"),
        Field::LambdaFunctionLastModifiedAt => Number("r.lambda_modified_at"),
        Field::Platform => Text("r.platform"),
        Field::ScanStatusCode if !findings => Text("r.scan_status"),
        Field::ScanStatusReason if !findings => Text("r.scan_reason"),
        Field::ScanType if !findings => Text("'PACKAGE'"),
        Field::LastScannedAt => Number("r.last_scanned_at"),
        _ => Null,
    }
}

/// Escapes `%`, `_` and `\` for `LIKE ... ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// SQL text and its parameters, appended to as conditions are compiled.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    /// A statement's text so far and its first parameters.
    pub fn new(text: impl Into<String>, params: Vec<Param>) -> Sql {
        Sql {
            text: text.into(),
            params,
        }
    }

    fn push(&mut self, p: Param) -> &mut Sql {
        self.params.push(p);
        self.text.push('?');
        self
    }
    fn s(&mut self, t: &str) -> &mut Sql {
        self.text.push_str(t);
        self
    }
}

fn str_cond(sql: &mut Sql, col: &str, c: &StrCond) {
    match c {
        // A finding's ARN carries its id: the primary key finds it.
        StrCond::Equals(v) if col == "f.arn" => {
            let id = crate::findings::finding_id_of_arn(v).unwrap_or(0);
            sql.s("(f.id = ")
                .push(Param::Int(id))
                .s(" AND f.arn = ")
                .push(Param::Text(v.clone()))
                .s(")");
        }
        StrCond::Equals(v) => {
            sql.s(col).s(" = ").push(Param::Text(v.clone()));
        }
        StrCond::Prefix(v) => {
            sql.s(col)
                .s(" LIKE ")
                .push(Param::Text(format!("{}%", like_escape(v))))
                .s(" ESCAPE '\\'");
        }
        StrCond::NotEquals(v) => {
            sql.s("(")
                .s(col)
                .s(" IS NULL OR ")
                .s(col)
                .s(" <> ")
                .push(Param::Text(v.clone()))
                .s(")");
        }
    }
}

/// The stored rank of a severity word (the severity index is ordered by rank, so a severity
/// condition on the rank reads an index range instead of every row).
pub fn severity_rank(word: &str) -> Option<i64> {
    Some(match word {
        "UNTRIAGED" => 0,
        "INFORMATIONAL" => 1,
        "LOW" => 2,
        "MEDIUM" => 3,
        "HIGH" => 4,
        "CRITICAL" => 5,
        _ => return None,
    })
}

fn positive(sql: &mut Sql, col: &Column, c: &Cond, over: Over) {
    match (col, c) {
        (Column::Text("f.severity"), Cond::Equals(v)) if severity_rank(v).is_some() => {
            sql.s("f.severity_rank = ")
                .push(Param::Int(severity_rank(v).unwrap_or_default()));
        }
        (Column::Null, _) => {
            sql.s("1 = 0");
        }
        (Column::Text(col), Cond::Equals(v)) => str_cond(sql, col, &StrCond::Equals(v.clone())),
        (Column::Text(col), Cond::Prefix(v)) => str_cond(sql, col, &StrCond::Prefix(v.clone())),
        (Column::Multi(col), Cond::Equals(v)) => {
            sql.s(col)
                .s(" LIKE ")
                .push(Param::Text(format!("%|{}|%", like_escape(v))))
                .s(" ESCAPE '\\'");
        }
        (Column::Multi(col), Cond::Prefix(v)) => {
            sql.s(col)
                .s(" LIKE ")
                .push(Param::Text(format!("%|{}%", like_escape(v))))
                .s(" ESCAPE '\\'");
        }
        (Column::Number(col), Cond::Range { lo, hi }) => {
            sql.s("(").s(col).s(" IS NOT NULL");
            if let Some(lo) = lo {
                sql.s(" AND ").s(col).s(" >= ").push(Param::Real(*lo));
            }
            if let Some(hi) = hi {
                sql.s(" AND ").s(col).s(" <= ").push(Param::Real(*hi));
            }
            sql.s(")");
        }
        (Column::Tags, Cond::Tag { key, value }) => {
            sql.s("EXISTS (SELECT 1 FROM resource_tags t WHERE t.resource_pk = r.pk AND t.key = ")
                .push(Param::Text(key.clone()));
            if let Some(v) = value {
                sql.s(" AND t.value = ").push(Param::Text(v.clone()));
            }
            sql.s(")");
        }
        (Column::Package, Cond::Package(p)) if over == Over::Findings => {
            sql.s("(1 = 1");
            let parts = [
                ("f.pkg_name", &p.name),
                ("f.pkg_version", &p.version),
                ("f.pkg_release", &p.release),
                ("f.pkg_arch", &p.architecture),
                ("f.pkg_path", &p.file_path),
                ("f.layer_hash", &p.source_layer_hash),
                ("NULL", &p.source_lambda_layer_arn),
            ];
            for (col, c) in parts {
                if let Some(c) = c {
                    sql.s(" AND ");
                    str_cond(sql, col, c);
                }
            }
            if let Some((lo, hi)) = p.epoch {
                sql.s(" AND ");
                positive(
                    sql,
                    &Column::Number("f.pkg_epoch"),
                    &Cond::Range { lo, hi },
                    over,
                );
            }
            sql.s(")");
        }
        // A condition of the wrong kind for its field (the API layer prevents these).
        _ => {
            sql.s("1 = 0");
        }
    }
}

/// Appends ` AND (...)` for every term of `criteria`.
pub fn compile(criteria: &Criteria, over: Over, sql: &mut Sql) {
    for term in &criteria.terms {
        let col = column(&term.field, over);
        let (neg, pos): (Vec<&Cond>, Vec<&Cond>) = term
            .conds
            .iter()
            .partition(|c| matches!(c, Cond::NotEquals(_)));
        if !pos.is_empty() {
            sql.s(" AND (");
            for (i, c) in pos.iter().enumerate() {
                if i > 0 {
                    sql.s(" OR ");
                }
                positive(sql, &col, c, over);
            }
            sql.s(")");
        }
        for c in neg {
            let Cond::NotEquals(v) = c else { continue };
            match &col {
                Column::Text(col) => {
                    sql.s(" AND ");
                    str_cond(sql, col, &StrCond::NotEquals(v.clone()));
                }
                Column::Multi(col) => {
                    sql.s(" AND (")
                        .s(col)
                        .s(" IS NULL OR ")
                        .s(col)
                        .s(" NOT LIKE ")
                        .push(Param::Text(format!("%|{}|%", like_escape(v))))
                        .s(" ESCAPE '\\')");
                }
                _ => {}
            }
        }
    }
}

/// Joins values as a `|a|b|` multi-valued column.
pub fn multi<S: AsRef<str>>(values: &[S]) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let mut out = String::from("|");
    for v in values {
        out.push_str(v.as_ref());
        out.push('|');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql_of(c: &Criteria) -> Sql {
        let mut s = Sql::default();
        compile(c, Over::Findings, &mut s);
        s
    }

    #[test]
    fn positives_or_negatives_and() {
        let c = Criteria {
            terms: vec![Term {
                field: Field::Severity,
                conds: vec![
                    Cond::Equals("HIGH".into()),
                    Cond::Equals("CRITICAL".into()),
                    Cond::NotEquals("LOW".into()),
                ],
            }],
        };
        let s = sql_of(&c);
        assert_eq!(
            s.text,
            " AND (f.severity_rank = ? OR f.severity_rank = ?) AND (f.severity IS NULL OR f.severity <> ?)"
        );
        assert_eq!(s.params[..2], [Param::Int(4), Param::Int(5)]);
        assert_eq!(s.params.len(), 3);
    }

    #[test]
    fn like_values_are_escaped() {
        let c = Criteria {
            terms: vec![Term {
                field: Field::Title,
                conds: vec![Cond::Prefix("50%_off\\".into())],
            }],
        };
        let s = sql_of(&c);
        assert_eq!(s.params, vec![Param::Text("50\\%\\_off\\\\%".into())]);
    }

    #[test]
    fn fields_without_data_match_nothing_positively() {
        let c = Criteria {
            terms: vec![Term {
                field: Field::NoData("portRange".into()),
                conds: vec![Cond::Equals("x".into())],
            }],
        };
        assert_eq!(sql_of(&c).text, " AND (1 = 0)");
        let c = Criteria {
            terms: vec![Term {
                field: Field::NoData("networkProtocol".into()),
                conds: vec![Cond::NotEquals("TCP".into())],
            }],
        };
        assert_eq!(sql_of(&c).text, "");
    }
}
