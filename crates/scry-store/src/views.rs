//! Read-side summaries: finding aggregations, coverage and its statistics, usage.

use serde::Serialize;

use crate::criteria::{self, Criteria, Over, Param, Sql};
use crate::findings::{resource_row, tags_of, ResourceRow, RESOURCE_COLUMNS};
use crate::{SqlContext, Store, StoreError};

/// What findings are grouped by, one per Inspector aggregation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Account,
    Ami,
    EcrContainer,
    Ec2Instance,
    FindingType,
    ImageLayer,
    Package,
    Repository,
    Title,
    LambdaFunction,
    LambdaLayer,
    CodeRepository,
}

impl Group {
    /// The grouping expressions; the first ones identify the group, all are returned.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Group::Account => &["f.account_id"],
            Group::Ami => &["r.ec2_image_id"],
            Group::EcrContainer
            | Group::Ec2Instance
            | Group::LambdaFunction
            | Group::CodeRepository => &["r.resource_id"],
            Group::FindingType => &["f.finding_type"],
            Group::ImageLayer => &["r.ecr_repository", "r.resource_id", "f.layer_hash"],
            Group::Package => &["f.pkg_name"],
            Group::Repository => &["r.ecr_repository"],
            Group::Title => &["f.title", "f.vulnerability_id"],
            Group::LambdaLayer => &["r.resource_id", "f.layer_hash"],
        }
    }

    /// Findings the group only makes sense for.
    fn restrict(self) -> &'static str {
        match self {
            Group::Ami | Group::Ec2Instance => " AND r.resource_type = 'AWS_EC2_INSTANCE'",
            Group::EcrContainer | Group::Repository | Group::ImageLayer => {
                " AND r.resource_type = 'AWS_ECR_CONTAINER_IMAGE'"
            }
            Group::LambdaFunction | Group::LambdaLayer => {
                " AND r.resource_type = 'AWS_LAMBDA_FUNCTION'"
            }
            Group::CodeRepository => " AND r.resource_type = 'CODE_REPOSITORY'",
            Group::Account | Group::FindingType | Group::Package | Group::Title => "",
        }
    }
}

/// How aggregation rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggSort {
    Critical,
    High,
    Medium,
    All,
    AffectedResources,
    Key,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AggRow {
    pub keys: Vec<Option<String>>,
    /// The group's resource when the group is one resource.
    pub resource_pk: Option<i64>,
    pub all: i64,
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub exploit_available: i64,
    pub fix_available: i64,
    pub resources: i64,
}

#[derive(Debug, Clone)]
pub struct AggQuery<'a> {
    pub account_id: &'a str,
    pub group: Group,
    pub criteria: &'a Criteria,
    pub sort: AggSort,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// Coverage statistics grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageGroup {
    ScanStatusCode,
    ScanStatusReason,
    AccountId,
    ResourceType,
    EcrRepositoryName,
}

impl Store {
    /// Counts of ACTIVE findings per group (Inspector's aggregations count active findings).
    /// Returns one page (`limit + 1` rows tell the caller there is more).
    pub fn aggregate(&self, q: &AggQuery<'_>) -> Result<Vec<AggRow>, StoreError> {
        let keys = q.group.keys();
        let one_resource = keys == ["r.resource_id"];
        let mut sql = Sql::new(
            format!(
                "SELECT {}, {}, count(*),
                sum(CASE WHEN f.severity = 'CRITICAL' THEN 1 ELSE 0 END),
                sum(CASE WHEN f.severity = 'HIGH' THEN 1 ELSE 0 END),
                sum(CASE WHEN f.severity = 'MEDIUM' THEN 1 ELSE 0 END),
                sum(CASE WHEN f.exploit_available = 'YES' THEN 1 ELSE 0 END),
                sum(CASE WHEN f.fix_available = 'YES' THEN 1 ELSE 0 END),
                count(DISTINCT f.resource_pk)
             FROM findings f JOIN resources r ON r.pk = f.resource_pk
             WHERE f.account_id = ? AND f.status = 'ACTIVE'{}",
                keys.join(", "),
                if one_resource { "min(r.pk)" } else { "NULL" },
                q.group.restrict()
            ),
            vec![Param::Text(q.account_id.into())],
        );
        criteria::compile(q.criteria, Over::Findings, &mut sql);
        let n = keys.len();
        let order_col = match q.sort {
            AggSort::All => format!("{}", n + 2),
            AggSort::Critical => format!("{}", n + 3),
            AggSort::High => format!("{}", n + 4),
            AggSort::Medium => format!("{}", n + 5),
            AggSort::AffectedResources => format!("{}", n + 8),
            AggSort::Key => "1".into(),
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        sql.text.push_str(&format!(
            " GROUP BY {} ORDER BY {order_col} {dir}, 1 ASC LIMIT {} OFFSET {}",
            keys.join(", "),
            q.limit + 1,
            q.offset
        ));
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&sql.text)
            .doing("aggregating findings")?;
        let rows = st
            .query_map(rusqlite::params_from_iter(sql.params.iter()), |r| {
                let mut keys = Vec::with_capacity(n);
                for i in 0..n {
                    keys.push(r.get::<_, Option<String>>(i)?);
                }
                Ok(AggRow {
                    keys,
                    resource_pk: r.get(n)?,
                    all: r.get(n + 1)?,
                    critical: r.get(n + 2)?,
                    high: r.get(n + 3)?,
                    medium: r.get(n + 4)?,
                    exploit_available: r.get(n + 5)?,
                    fix_available: r.get(n + 6)?,
                    resources: r.get(n + 7)?,
                })
            })
            .doing("aggregating findings")?
            .collect::<Result<Vec<_>, _>>()
            .doing("aggregating findings")?;
        Ok(rows)
    }

    /// One page of resources (coverage), after resource `after_pk`.
    pub fn list_coverage(
        &self,
        account_id: &str,
        c: &Criteria,
        after_pk: i64,
        limit: usize,
    ) -> Result<Vec<ResourceRow>, StoreError> {
        let mut sql = Sql::new(
            format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.account_id = ? AND r.pk > ?"
            ),
            vec![Param::Text(account_id.into())],
        );
        sql.params.push(Param::Int(after_pk));
        criteria::compile(c, Over::Resources, &mut sql);
        sql.text
            .push_str(&format!(" ORDER BY r.pk LIMIT {}", limit + 1));
        let conn = self.read();
        let mut st = conn.prepare_cached(&sql.text).doing("listing coverage")?;
        let mut rows = st
            .query_map(rusqlite::params_from_iter(sql.params.iter()), resource_row)
            .doing("listing coverage")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing coverage")?;
        for r in &mut rows {
            r.tags = tags_of(&conn, r.pk)?;
        }
        Ok(rows)
    }

    /// Resource counts per group (coverage statistics), and the total.
    pub fn coverage_statistics(
        &self,
        account_id: &str,
        c: &Criteria,
        group: Option<CoverageGroup>,
    ) -> Result<(Vec<(String, i64)>, i64), StoreError> {
        let key = match group {
            Some(CoverageGroup::ScanStatusCode) => "r.scan_status",
            Some(CoverageGroup::ScanStatusReason) => "r.scan_reason",
            Some(CoverageGroup::AccountId) => "r.account_id",
            Some(CoverageGroup::ResourceType) => "r.resource_type",
            Some(CoverageGroup::EcrRepositoryName) => "coalesce(r.ecr_repository, '')",
            None => "''",
        };
        let mut sql = Sql::new(
            format!("SELECT {key}, count(*) FROM resources r WHERE r.account_id = ?"),
            vec![Param::Text(account_id.into())],
        );
        criteria::compile(c, Over::Resources, &mut sql);
        sql.text
            .push_str(&format!(" GROUP BY {key} ORDER BY 2 DESC, 1"));
        let conn = self.read();
        let mut st = conn.prepare_cached(&sql.text).doing("counting coverage")?;
        let rows: Vec<(String, i64)> = st
            .query_map(rusqlite::params_from_iter(sql.params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .doing("counting coverage")?
            .collect::<Result<Vec<_>, _>>()
            .doing("counting coverage")?;
        let total = rows.iter().map(|(_, n)| n).sum();
        Ok((if group.is_some() { rows } else { Vec::new() }, total))
    }

    /// Resources per resource type (usage totals).
    pub fn resource_counts(&self, account_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(
                "SELECT resource_type, count(*) FROM resources WHERE account_id = ?1 GROUP BY resource_type ORDER BY resource_type",
            )
            .doing("counting resources")?;
        let out = st
            .query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("counting resources")?
            .collect::<Result<Vec<_>, _>>()
            .doing("counting resources")?;
        Ok(out)
    }
}
