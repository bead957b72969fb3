//! The Inspector-compatible operations: typed, validated requests in (from `scry-wire`),
//! store and service calls, typed responses out.

use std::collections::BTreeMap;

use scry_store::{
    AggQuery, AggSort, CoverageGroup, FilterError, FilterRecord, FindingQuery, Group, SortField,
};
use scry_wire::shapes::*;
use scry_wire::{parse_request_parts, ApiError, Operation, PathParams, Request};
use serde::Serialize;

use crate::convert::{criteria, decode_token, encode_token, request_hash};
use crate::service::{now_ms, Service};

/// Who is calling: from the access key that signed the request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub role: String,
    pub access_key_id: String,
}

/// Operations a `reader` key may call.
fn read_only(op: Operation) -> bool {
    let n = op.name();
    n.starts_with("List")
        || n.starts_with("Get")
        || n.starts_with("BatchGet")
        || n.starts_with("Search")
        || op == Operation::ScanSbom
}

fn internal<E: std::fmt::Display>(e: E) -> ApiError {
    tracing::error!(error = %e, "internal error");
    ApiError::internal("Scry failed to answer; the server log has the cause")
}

fn ms_to_s(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn page_size(max: Option<i32>, default: usize, cap: usize) -> usize {
    max.map_or(default, |m| (m.max(1) as usize).min(cap))
}

/// Runs one operation. `body`, `params` and `query` are the raw request parts.
pub fn dispatch(
    svc: &Service,
    caller: &Caller,
    op: Operation,
    body: &[u8],
    params: &PathParams,
    query: &str,
) -> Result<Vec<u8>, ApiError> {
    if caller.role == "agent" {
        return Err(ApiError::access_denied(format!(
            "access key {} has role agent, which may only push inventories; {} needs a reader or admin key",
            caller.access_key_id,
            op.name()
        )));
    }
    if caller.role == "reader" && !read_only(op) {
        return Err(ApiError::access_denied(format!(
            "access key {} has role reader; {} needs an admin key",
            caller.access_key_id,
            op.name()
        )));
    }
    macro_rules! run {
        ($req:ty, $f:expr) => {{
            let req: $req = parse_request_parts(body, params, query)?;
            let resp: <$req as Request>::Response = $f(svc, caller, req)?;
            serde_json::to_vec(&resp).map_err(internal)
        }};
    }
    match op {
        Operation::Enable => run!(EnableRequest, enable),
        Operation::Disable => run!(DisableRequest, disable),
        Operation::BatchGetAccountStatus => run!(BatchGetAccountStatusRequest, account_status),
        Operation::GetConfiguration => run!(GetConfigurationRequest, get_configuration),
        Operation::UpdateConfiguration => run!(UpdateConfigurationRequest, update_configuration),
        Operation::ListAccountPermissions => {
            run!(ListAccountPermissionsRequest, account_permissions)
        }
        Operation::ListFindings => run!(ListFindingsRequest, list_findings),
        Operation::ListFindingAggregations => run!(ListFindingAggregationsRequest, aggregations),
        Operation::BatchGetFindingDetails => run!(BatchGetFindingDetailsRequest, finding_details),
        Operation::ListCoverage => run!(ListCoverageRequest, list_coverage),
        Operation::ListCoverageStatistics => {
            run!(ListCoverageStatisticsRequest, coverage_statistics)
        }
        Operation::CreateFilter => run!(CreateFilterRequest, create_filter),
        Operation::UpdateFilter => run!(UpdateFilterRequest, update_filter),
        Operation::DeleteFilter => run!(DeleteFilterRequest, delete_filter),
        Operation::ListFilters => run!(ListFiltersRequest, list_filters),
        Operation::TagResource => run!(TagResourceRequest, tag_resource),
        Operation::UntagResource => run!(UntagResourceRequest, untag_resource),
        Operation::ListTagsForResource => run!(ListTagsForResourceRequest, list_tags),
        Operation::SearchVulnerabilities => {
            run!(SearchVulnerabilitiesRequest, search_vulnerabilities)
        }
        Operation::ListUsageTotals => run!(ListUsageTotalsRequest, usage_totals),
        Operation::CreateFindingsReport => run!(
            CreateFindingsReportRequest,
            crate::reports::create_findings_report
        ),
        Operation::GetFindingsReportStatus => run!(
            GetFindingsReportStatusRequest,
            crate::reports::get_findings_report_status
        ),
        Operation::CancelFindingsReport => run!(
            CancelFindingsReportRequest,
            crate::reports::cancel_findings_report
        ),
        Operation::CreateSbomExport => {
            run!(CreateSbomExportRequest, crate::reports::create_sbom_export)
        }
        Operation::GetSbomExport => run!(GetSbomExportRequest, crate::reports::get_sbom_export),
        Operation::CancelSbomExport => {
            run!(CancelSbomExportRequest, crate::reports::cancel_sbom_export)
        }
        Operation::ScanSbom => run!(ScanSbomRequest, crate::reports::scan_sbom),
        other => Err(ApiError::not_implemented(other)),
    }
}

fn own_accounts(caller: &Caller, ids: Option<&Vec<String>>) -> (Vec<String>, Vec<FailedAccount>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    match ids {
        None => ok.push(caller.account_id.clone()),
        Some(ids) if ids.is_empty() => ok.push(caller.account_id.clone()),
        Some(ids) => {
            for id in ids {
                if *id == caller.account_id {
                    ok.push(id.clone());
                } else {
                    failed.push(FailedAccount {
                        account_id: id.clone(),
                        error_code: "ACCESS_DENIED".into(),
                        error_message: format!(
                            "account {id} is not the caller's account ({}); Scry has no organizations",
                            caller.account_id
                        ),
                        ..Default::default()
                    });
                }
            }
        }
    }
    (ok, failed)
}

fn status_of(acc: &scry_store::Account, t: &str) -> String {
    if acc.enabled(t) {
        "ENABLED"
    } else {
        "DISABLED"
    }
    .to_string()
}

fn account_shape(acc: &scry_store::Account) -> Account {
    let any = ["EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY"]
        .iter()
        .any(|t| acc.enabled(t));
    Account {
        account_id: acc.account_id.clone(),
        status: if any { "ENABLED" } else { "DISABLED" }.into(),
        resource_status: ResourceStatus {
            ec2: status_of(acc, "EC2"),
            ecr: status_of(acc, "ECR"),
            lambda: Some(status_of(acc, "LAMBDA")),
            lambda_code: Some(status_of(acc, "LAMBDA_CODE")),
            code_repository: Some(status_of(acc, "CODE_REPOSITORY")),
            ..Default::default()
        },
    }
}

fn load_account(svc: &Service, id: &str) -> Result<scry_store::Account, ApiError> {
    svc.store.ensure_account(id, now_ms()).map_err(internal)?;
    svc.store
        .account(id)
        .map_err(internal)?
        .ok_or_else(|| ApiError::internal("account vanished"))
}

fn set_types(
    svc: &Service,
    caller: &Caller,
    ids: Option<&Vec<String>>,
    types: &[String],
    enabled: bool,
) -> Result<(Vec<Account>, Vec<FailedAccount>), ApiError> {
    let (ok, failed) = own_accounts(caller, ids);
    let types: Vec<&str> = types.iter().map(String::as_str).collect();
    let mut accounts = Vec::new();
    for id in ok {
        svc.set_scan_types(&id, &types, enabled).map_err(internal)?;
        accounts.push(account_shape(&load_account(svc, &id)?));
    }
    Ok((accounts, failed))
}

fn enable(svc: &Service, caller: &Caller, req: EnableRequest) -> Result<EnableResponse, ApiError> {
    let (accounts, failed) = set_types(
        svc,
        caller,
        req.account_ids.as_ref(),
        &req.resource_types,
        true,
    )?;
    Ok(EnableResponse {
        accounts,
        failed_accounts: Some(failed),
    })
}

fn disable(
    svc: &Service,
    caller: &Caller,
    req: DisableRequest,
) -> Result<DisableResponse, ApiError> {
    // Without resourceTypes, Disable turns everything off.
    let types = req.resource_types.clone().unwrap_or_else(|| {
        scry_store::SCAN_TYPES
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let (accounts, failed) = set_types(svc, caller, req.account_ids.as_ref(), &types, false)?;
    Ok(DisableResponse {
        accounts,
        failed_accounts: Some(failed),
    })
}

fn state(status: String) -> State {
    State {
        status,
        error_code: "ALREADY_ENABLED".into(),
        error_message: String::new(),
    }
}

fn account_status(
    svc: &Service,
    caller: &Caller,
    req: BatchGetAccountStatusRequest,
) -> Result<BatchGetAccountStatusResponse, ApiError> {
    let (ok, failed) = own_accounts(caller, req.account_ids.as_ref());
    let mut accounts = Vec::new();
    for id in ok {
        let acc = load_account(svc, &id)?;
        let shape = account_shape(&acc);
        accounts.push(AccountState {
            account_id: id,
            state: state(shape.status.clone()),
            resource_state: ResourceState {
                ec2: state(status_of(&acc, "EC2")),
                ecr: state(status_of(&acc, "ECR")),
                lambda: Some(state(status_of(&acc, "LAMBDA"))),
                lambda_code: Some(state(status_of(&acc, "LAMBDA_CODE"))),
                code_repository: Some(state(status_of(&acc, "CODE_REPOSITORY"))),
                ..Default::default()
            },
        });
    }
    Ok(BatchGetAccountStatusResponse {
        accounts,
        failed_accounts: Some(failed),
    })
}

/// The account configuration Scry keeps (in the store's opaque config column).
#[derive(Debug, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    rescan_duration: Option<String>,
    pull_date_rescan_duration: Option<String>,
    pull_date_rescan_mode: Option<String>,
    ecr_updated_at: Option<i64>,
    scan_mode: Option<String>,
}

fn config_of(acc: &scry_store::Account) -> Config {
    serde_json::from_str(&acc.config).unwrap_or_default()
}

fn get_configuration(
    svc: &Service,
    caller: &Caller,
    _req: GetConfigurationRequest,
) -> Result<GetConfigurationResponse, ApiError> {
    let acc = load_account(svc, &caller.account_id)?;
    let c = config_of(&acc);
    Ok(GetConfigurationResponse {
        ecr_configuration: Some(EcrConfigurationState {
            rescan_duration_state: Some(EcrRescanDurationState {
                rescan_duration: Some(c.rescan_duration.unwrap_or_else(|| "LIFETIME".into())),
                status: Some("SUCCESS".into()),
                updated_at: Some(ms_to_s(c.ecr_updated_at.unwrap_or(acc.created_at))),
                pull_date_rescan_duration: Some(
                    c.pull_date_rescan_duration
                        .unwrap_or_else(|| "DAYS_180".into()),
                ),
                pull_date_rescan_mode: Some(
                    c.pull_date_rescan_mode
                        .unwrap_or_else(|| "LAST_PULL_DATE".into()),
                ),
            }),
        }),
        ec2_configuration: Some(Ec2ConfigurationState {
            scan_mode_state: Some(Ec2ScanModeState {
                scan_mode: Some(c.scan_mode.unwrap_or_else(|| "EC2_SSM_AGENT_BASED".into())),
                scan_mode_status: Some("SUCCESS".into()),
            }),
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn update_configuration(
    svc: &Service,
    caller: &Caller,
    req: UpdateConfigurationRequest,
) -> Result<UpdateConfigurationResponse, ApiError> {
    let acc = load_account(svc, &caller.account_id)?;
    let mut c = config_of(&acc);
    if let Some(e) = &req.ecr_configuration {
        c.rescan_duration = Some(e.rescan_duration.clone());
        if e.pull_date_rescan_duration.is_some() {
            c.pull_date_rescan_duration = e.pull_date_rescan_duration.clone();
        }
        if e.pull_date_rescan_mode.is_some() {
            c.pull_date_rescan_mode = e.pull_date_rescan_mode.clone();
        }
        c.ecr_updated_at = Some(now_ms());
    }
    if let Some(e) = &req.ec2_configuration {
        c.scan_mode = Some(e.scan_mode.clone());
    }
    let text = serde_json::to_string(&c).map_err(internal)?;
    svc.store
        .set_account_config(&caller.account_id, &text)
        .map_err(internal)?;
    Ok(UpdateConfigurationResponse::default())
}

fn account_permissions(
    _svc: &Service,
    caller: &Caller,
    req: ListAccountPermissionsRequest,
) -> Result<ListAccountPermissionsResponse, ApiError> {
    let mut permissions = Vec::new();
    let ops: &[&str] = if caller.role == "admin" {
        &[
            "ENABLE_SCANNING",
            "DISABLE_SCANNING",
            "ENABLE_REPOSITORY",
            "DISABLE_REPOSITORY",
        ]
    } else {
        &[]
    };
    for service in ["EC2", "ECR", "LAMBDA"] {
        if req.service.as_deref().is_some_and(|s| s != service) {
            continue;
        }
        for op in ops {
            if service != "ECR" && op.ends_with("REPOSITORY") {
                continue;
            }
            permissions.push(Permission {
                service: service.into(),
                operation: op.to_string(),
            });
        }
    }
    let hash = request_hash(&req);
    let start: usize = decode_token(&hash, req.next_token.as_deref())?.unwrap_or(0);
    let size = page_size(req.max_results, 100, 1024);
    let rest: Vec<Permission> = permissions.into_iter().skip(start).collect();
    let next = (rest.len() > size).then(|| encode_token(&hash, &(start + size)));
    Ok(ListAccountPermissionsResponse {
        permissions: rest.into_iter().take(size).collect(),
        next_token: next,
    })
}

fn sort_field(s: &str) -> SortField {
    match s {
        "AWS_ACCOUNT_ID" => SortField::AccountId,
        "FINDING_TYPE" => SortField::FindingType,
        "FIRST_OBSERVED_AT" => SortField::FirstObservedAt,
        "LAST_OBSERVED_AT" => SortField::LastObservedAt,
        "FINDING_STATUS" => SortField::FindingStatus,
        "RESOURCE_TYPE" => SortField::ResourceType,
        "ECR_IMAGE_PUSHED_AT" => SortField::EcrImagePushedAt,
        "ECR_IMAGE_REPOSITORY_NAME" => SortField::EcrImageRepositoryName,
        "ECR_IMAGE_REGISTRY" => SortField::EcrImageRegistry,
        "NETWORK_PROTOCOL" => SortField::NetworkProtocol,
        "COMPONENT_TYPE" => SortField::ComponentType,
        "VULNERABILITY_ID" => SortField::VulnerabilityId,
        "VULNERABILITY_SOURCE" => SortField::VulnerabilitySource,
        "INSPECTOR_SCORE" => SortField::InspectorScore,
        "VENDOR_SEVERITY" => SortField::VendorSeverity,
        "EPSS_SCORE" => SortField::EpssScore,
        _ => SortField::Severity,
    }
}

/// A stored finding as the API returns it: the stored body with the lifecycle fields and the
/// resource's current tags.
pub fn finding_out(
    svc: &Service,
    row: &scry_store::FindingRow,
    tags: &mut BTreeMap<i64, BTreeMap<String, String>>,
) -> Result<scry_wire::Finding, ApiError> {
    let mut f = scry_wire::Finding::join(&row.body, row.shared.as_deref()).map_err(internal)?;
    f.finding_arn = row.arn.clone();
    f.status = row.status.clone();
    f.first_observed_at = ms_to_s(row.first_observed_at);
    f.last_observed_at = ms_to_s(row.last_observed_at);
    f.updated_at = Some(ms_to_s(row.updated_at));
    if let std::collections::btree_map::Entry::Vacant(e) = tags.entry(row.resource_pk) {
        let t = svc
            .store
            .resource_by_pk(row.resource_pk)
            .map_err(internal)?
            .map(|r| r.tags)
            .unwrap_or_default();
        e.insert(t);
    }
    if let Some(r) = f.resources.first_mut() {
        r.tags = tags[&row.resource_pk].clone();
    }
    Ok(f)
}

fn list_findings(
    svc: &Service,
    caller: &Caller,
    req: ListFindingsRequest,
) -> Result<ListFindingsResponse, ApiError> {
    let c = criteria(req.filter_criteria.as_ref())?;
    let (sort, descending) = match &req.sort_criteria {
        Some(s) => (sort_field(&s.field), s.sort_order.as_str() == "DESC"),
        None => (SortField::Severity, true),
    };
    let hash = request_hash(&req);
    let after = decode_token(&hash, req.next_token.as_deref())?;
    let page = svc
        .store
        .list_findings(&FindingQuery {
            account_id: &caller.account_id,
            criteria: &c,
            sort,
            descending,
            after,
            limit: page_size(req.max_results, 50, 100),
        })
        .map_err(internal)?;
    let mut pks: Vec<i64> = page.findings.iter().map(|f| f.resource_pk).collect();
    pks.sort_unstable();
    pks.dedup();
    let mut tags: BTreeMap<i64, BTreeMap<String, String>> = svc
        .store
        .tags(&pks)
        .map_err(internal)?
        .into_iter()
        .collect();
    let findings = page
        .findings
        .iter()
        .map(|r| finding_out(svc, r, &mut tags))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListFindingsResponse {
        next_token: page.next.map(|n| encode_token(&hash, &n)),
        findings: Some(findings),
    })
}

fn counts(r: &scry_store::AggRow) -> Option<SeverityCounts> {
    Some(SeverityCounts {
        all: Some(r.all),
        critical: Some(r.critical),
        high: Some(r.high),
        medium: Some(r.medium),
        ..Default::default()
    })
}

fn key(r: &scry_store::AggRow, i: usize) -> String {
    r.keys.get(i).cloned().flatten().unwrap_or_default()
}

fn aggregations(
    svc: &Service,
    caller: &Caller,
    req: ListFindingAggregationsRequest,
) -> Result<ListFindingAggregationsResponse, ApiError> {
    let group = match req.aggregation_type.as_str() {
        "ACCOUNT" => Group::Account,
        "AMI" => Group::Ami,
        "AWS_ECR_CONTAINER" => Group::EcrContainer,
        "AWS_EC2_INSTANCE" => Group::Ec2Instance,
        "FINDING_TYPE" => Group::FindingType,
        "IMAGE_LAYER" => Group::ImageLayer,
        "PACKAGE" => Group::Package,
        "REPOSITORY" => Group::Repository,
        "TITLE" => Group::Title,
        "LAMBDA_LAYER" => Group::LambdaLayer,
        "LAMBDA_FUNCTION" => Group::LambdaFunction,
        "CODE_REPOSITORY" => Group::CodeRepository,
        other => {
            return Err(ApiError::invalid(format!(
                "aggregation type {other} is not one Scry has data for"
            )))
        }
    };
    // The aggregation request's own filters, sort and order, read from its JSON form.
    let sub = req
        .aggregation_request
        .as_ref()
        .map(|a| serde_json::to_value(a).unwrap_or_default())
        .and_then(|v| v.as_object().and_then(|o| o.values().next().cloned()))
        .unwrap_or_default();
    let mut filter = serde_json::Map::new();
    let mut sort = AggSort::Critical;
    let mut descending = true;
    if let Some(o) = sub.as_object() {
        for (k, v) in o {
            match k.as_str() {
                "sortBy" => {
                    sort = match v.as_str().unwrap_or("") {
                        "ALL" => AggSort::All,
                        "HIGH" => AggSort::High,
                        "MEDIUM" => AggSort::Medium,
                        "AFFECTED_IMAGES" | "AFFECTED_INSTANCES" => AggSort::AffectedResources,
                        _ => AggSort::Critical,
                    }
                }
                "sortOrder" => descending = v.as_str() != Some("ASC"),
                "findingType" => {
                    filter.insert(
                        "findingType".into(),
                        serde_json::json!([{"comparison": "EQUALS", "value": v}]),
                    );
                }
                "resourceType" => {
                    filter.insert(
                        "resourceType".into(),
                        serde_json::json!([{"comparison": "EQUALS", "value": v}]),
                    );
                }
                // Lists of string filters, named after the grouped field.
                other => {
                    let member = match other {
                        "amis" => "ec2InstanceImageId",
                        "instanceIds" | "resourceIds" => "resourceId",
                        "repositories" => "ecrImageRepositoryName",
                        "imageShas" => "ecrImageHash",
                        "imageTags" => "ecrImageTags",
                        "architectures" => "ecrImageArchitecture",
                        "packageNames" => "componentId",
                        "titles" => "title",
                        "vulnerabilityIds" => "vulnerabilityId",
                        "functionNames" => "lambdaFunctionName",
                        "runtimes" => "lambdaFunctionRuntime",
                        "layerHashes" => "vulnerablePackagesLayerHash",
                        "instanceTags" | "functionTags" => "resourceTags",
                        "operatingSystems" => "platform",
                        _ => other,
                    };
                    filter.insert(member.into(), v.clone());
                }
            }
        }
    }
    if let Some(ids) = &req.account_ids {
        filter.insert(
            "awsAccountId".into(),
            serde_json::to_value(ids).map_err(internal)?,
        );
    }
    let c = criteria(Some(&serde_json::Value::Object(filter)))?;
    let hash = request_hash(&req);
    let offset: usize = decode_token(&hash, req.next_token.as_deref())?.unwrap_or(0);
    let size = page_size(req.max_results, 50, 100);
    let mut rows = svc
        .store
        .aggregate(&AggQuery {
            account_id: &caller.account_id,
            group,
            criteria: &c,
            sort,
            descending,
            offset,
            limit: size,
        })
        .map_err(internal)?;
    let next = (rows.len() > size).then(|| encode_token(&hash, &(offset + size)));
    rows.truncate(size);
    let account = || Some(caller.account_id.clone());
    let mut responses = Vec::with_capacity(rows.len());
    for r in &rows {
        let res = match r.resource_pk {
            Some(pk) => svc.store.resource_by_pk(pk).map_err(internal)?,
            None => None,
        };
        let tags = res.as_ref().map(|r| r.tags.clone());
        let info = res.as_ref().map(|r| r.info.clone()).unwrap_or_default();
        responses.push(match group {
            Group::Account => AggregationResponse::AccountAggregation(AccountAggregationResponse {
                account_id: Some(key(r, 0)),
                severity_counts: counts(r),
                exploit_available_count: Some(r.exploit_available),
                fix_available_count: Some(r.fix_available),
            }),
            Group::Ami => AggregationResponse::AmiAggregation(AmiAggregationResponse {
                ami: key(r, 0),
                account_id: account(),
                severity_counts: counts(r),
                affected_instances: Some(r.resources),
                ..Default::default()
            }),
            Group::EcrContainer => AggregationResponse::AwsEcrContainerAggregation(
                AwsEcrContainerAggregationResponse {
                    resource_id: key(r, 0),
                    image_sha: info.ecr_image_hash.clone(),
                    repository: info.ecr_repository.clone(),
                    architecture: info.ecr_architecture.clone(),
                    image_tags: Some(info.ecr_image_tags.clone()),
                    account_id: account(),
                    severity_counts: counts(r),
                    ..Default::default()
                },
            ),
            Group::Ec2Instance => {
                AggregationResponse::Ec2InstanceAggregation(Ec2InstanceAggregationResponse {
                    instance_id: key(r, 0),
                    ami: info.ec2_image_id.clone(),
                    operating_system: info.platform.clone(),
                    instance_tags: tags,
                    account_id: account(),
                    severity_counts: counts(r),
                    network_findings: Some(0),
                })
            }
            Group::FindingType => {
                AggregationResponse::FindingTypeAggregation(FindingTypeAggregationResponse {
                    account_id: account(),
                    severity_counts: counts(r),
                    exploit_available_count: Some(r.exploit_available),
                    fix_available_count: Some(r.fix_available),
                    ..Default::default()
                })
            }
            Group::ImageLayer => {
                AggregationResponse::ImageLayerAggregation(ImageLayerAggregationResponse {
                    repository: key(r, 0),
                    resource_id: key(r, 1),
                    layer_hash: key(r, 2),
                    account_id: caller.account_id.clone(),
                    severity_counts: counts(r),
                    ..Default::default()
                })
            }
            Group::Package => AggregationResponse::PackageAggregation(PackageAggregationResponse {
                package_name: key(r, 0),
                account_id: account(),
                severity_counts: counts(r),
            }),
            Group::Repository => {
                AggregationResponse::RepositoryAggregation(RepositoryAggregationResponse {
                    repository: key(r, 0),
                    account_id: account(),
                    severity_counts: counts(r),
                    affected_images: Some(r.resources),
                    ..Default::default()
                })
            }
            Group::Title => AggregationResponse::TitleAggregation(TitleAggregationResponse {
                title: key(r, 0),
                vulnerability_id: Some(key(r, 1)),
                account_id: account(),
                severity_counts: counts(r),
            }),
            Group::LambdaLayer => {
                AggregationResponse::LambdaLayerAggregation(LambdaLayerAggregationResponse {
                    function_name: info.lambda_name.clone().unwrap_or_else(|| key(r, 0)),
                    resource_id: key(r, 0),
                    layer_arn: key(r, 1),
                    account_id: caller.account_id.clone(),
                    severity_counts: counts(r),
                })
            }
            Group::LambdaFunction => {
                AggregationResponse::LambdaFunctionAggregation(LambdaFunctionAggregationResponse {
                    resource_id: key(r, 0),
                    function_name: info.lambda_name.clone(),
                    runtime: info.lambda_runtime.clone(),
                    lambda_tags: tags,
                    account_id: account(),
                    severity_counts: counts(r),
                    last_modified_at: info.lambda_modified_at.map(ms_to_s),
                })
            }
            Group::CodeRepository => {
                AggregationResponse::CodeRepositoryAggregation(CodeRepositoryAggregationResponse {
                    project_names: key(r, 0),
                    severity_counts: counts(r),
                    exploit_available_active_findings_count: Some(r.exploit_available),
                    fix_available_active_findings_count: Some(r.fix_available),
                    account_id: account(),
                    resource_id: Some(key(r, 0)),
                    ..Default::default()
                })
            }
        });
    }
    Ok(ListFindingAggregationsResponse {
        aggregation_type: req.aggregation_type,
        responses: Some(responses),
        next_token: next,
    })
}

fn finding_details(
    svc: &Service,
    caller: &Caller,
    req: BatchGetFindingDetailsRequest,
) -> Result<BatchGetFindingDetailsResponse, ApiError> {
    let rows = svc
        .store
        .findings_by_arn(&caller.account_id, &req.finding_arns)
        .map_err(internal)?;
    let intel = svc.intel();
    let mut details = Vec::new();
    let mut errors = Vec::new();
    for arn in &req.finding_arns {
        let Some(row) = rows.iter().find(|r| &r.arn == arn) else {
            errors.push(FindingDetailsError {
                finding_arn: arn.clone(),
                error_code: "FINDING_DETAILS_NOT_FOUND".into(),
                error_message: format!("no finding {arn} in account {}", caller.account_id),
            });
            continue;
        };
        let f = scry_wire::Finding::join(&row.body, row.shared.as_deref()).map_err(internal)?;
        let pvd = f.package_vulnerability_details.as_ref();
        let vid = pvd.map(|p| p.vulnerability_id.clone()).unwrap_or_default();
        let kev = intel.as_ref().and_then(|i| i.loaded.kev.get(&vid).cloned());
        let cwes = match &intel {
            Some(i) => cwes_of(&i.db, &vid),
            None => Vec::new(),
        };
        details.push(FindingDetail {
            finding_arn: Some(arn.clone()),
            cisa_data: kev.as_ref().map(cisa),
            reference_urls: pvd.map(|p| p.reference_urls.clone()),
            cwes: Some(cwes),
            epss_score: f.epss.as_ref().map(|e| e.score),
            exploit_observed: kev.as_ref().map(|k| ExploitObserved {
                last_seen: day(k.date_added),
                first_seen: day(k.date_added),
            }),
            ..Default::default()
        });
    }
    Ok(BatchGetFindingDetailsResponse {
        finding_details: Some(details),
        errors: Some(errors),
    })
}

/// A calendar day as epoch seconds (midnight UTC).
fn day(d: chrono::NaiveDate) -> Option<f64> {
    d.and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp() as f64)
}

/// CISA KEV data of a vulnerability, as Inspector reports it.
fn cisa(k: &scry_advisory::KevEntry) -> CisaData {
    CisaData {
        date_added: day(k.date_added),
        date_due: k.due_date.and_then(day),
        action: Some(k.required_action.clone()),
    }
}

/// CWE ids of a vulnerability: NVD's and the advisory's own `cwe_ids`.
fn cwes_of(db: &scry_vulndb::VulnDb, id: &str) -> Vec<String> {
    db.cwes(id).unwrap_or_else(|e| {
        tracing::warn!(id, error = %e, "reading a vulnerability's CWE ids");
        Vec::new()
    })
}

fn covered(r: &scry_store::ResourceRow) -> CoveredResource {
    let i = &r.info;
    let tags = Some(r.tags.clone());
    let metadata = match i.resource_type.as_str() {
        "AWS_EC2_INSTANCE" => ResourceScanMetadata {
            ec2: Some(Ec2Metadata {
                tags,
                ami_id: i.ec2_image_id.clone(),
                platform: i.platform.clone(),
            }),
            ..Default::default()
        },
        "AWS_ECR_CONTAINER_IMAGE" => ResourceScanMetadata {
            ecr_repository: Some(EcrRepositoryMetadata {
                name: i.ecr_repository.clone(),
                scan_frequency: Some("CONTINUOUS_SCAN".into()),
            }),
            ecr_image: Some(EcrContainerImageMetadata {
                tags: Some(i.ecr_image_tags.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
        "AWS_LAMBDA_FUNCTION" => ResourceScanMetadata {
            lambda_function: Some(LambdaFunctionMetadata {
                function_tags: tags,
                layers: Some(i.lambda_layers.clone()),
                function_name: i.lambda_name.clone(),
                runtime: i.lambda_runtime.clone(),
            }),
            ..Default::default()
        },
        _ => ResourceScanMetadata::default(),
    };
    CoveredResource {
        resource_type: i.resource_type.clone(),
        resource_id: i.resource_id.clone(),
        account_id: i.account_id.clone(),
        scan_type: "PACKAGE".into(),
        scan_status: Some(ScanStatus {
            status_code: r.scan_status.clone(),
            reason: r.scan_reason.clone(),
        }),
        resource_metadata: Some(metadata),
        last_scanned_at: r.last_scanned_at.map(ms_to_s),
        scan_mode: (i.resource_type == "AWS_EC2_INSTANCE").then(|| "EC2_SSM_AGENT_BASED".into()),
        ..Default::default()
    }
}

fn list_coverage(
    svc: &Service,
    caller: &Caller,
    req: ListCoverageRequest,
) -> Result<ListCoverageResponse, ApiError> {
    let c = criteria(req.filter_criteria.as_ref())?;
    let hash = request_hash(&req);
    let after: i64 = decode_token(&hash, req.next_token.as_deref())?.unwrap_or(0);
    let size = page_size(req.max_results, 100, 200);
    let mut rows = svc
        .store
        .list_coverage(&caller.account_id, &c, after, size)
        .map_err(internal)?;
    let next = if rows.len() > size {
        rows.truncate(size);
        rows.last().map(|r| encode_token(&hash, &r.pk))
    } else {
        None
    };
    Ok(ListCoverageResponse {
        next_token: next,
        covered_resources: Some(rows.iter().map(covered).collect()),
    })
}

fn coverage_statistics(
    svc: &Service,
    caller: &Caller,
    req: ListCoverageStatisticsRequest,
) -> Result<ListCoverageStatisticsResponse, ApiError> {
    let c = criteria(req.filter_criteria.as_ref())?;
    let group = match req.group_by.as_deref() {
        None => None,
        Some("SCAN_STATUS_CODE") => Some(CoverageGroup::ScanStatusCode),
        Some("SCAN_STATUS_REASON") => Some(CoverageGroup::ScanStatusReason),
        Some("ACCOUNT_ID") => Some(CoverageGroup::AccountId),
        Some("RESOURCE_TYPE") => Some(CoverageGroup::ResourceType),
        Some("ECR_REPOSITORY_NAME") => Some(CoverageGroup::EcrRepositoryName),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "groupBy {other} is not supported"
            )))
        }
    };
    let (groups, total) = svc
        .store
        .coverage_statistics(&caller.account_id, &c, group)
        .map_err(internal)?;
    Ok(ListCoverageStatisticsResponse {
        counts_by_group: group.map(|_| {
            groups
                .into_iter()
                .map(|(k, n)| Counts {
                    count: Some(n),
                    group_key: Some(k),
                })
                .collect()
        }),
        total_counts: total,
        next_token: None,
    })
}

fn filter_arn(svc: &Service, account: &str) -> String {
    let mut id = [0u8; 8];
    getrandom::getrandom(&mut id).unwrap_or_default();
    format!(
        "arn:aws:inspector2:{}:{account}:owner/{account}/filter/{}",
        svc.region,
        hex::encode(id)
    )
}

fn filter_error(e: FilterError, arn: &str) -> ApiError {
    match e {
        FilterError::NameTaken(name) => ApiError::bad_request(format!(
            "a filter named {name:?} already exists in this account; choose another name"
        )),
        FilterError::Quota => ApiError::quota_exceeded(
            format!(
                "an account holds at most {} filters",
                scry_store::MAX_FILTERS
            ),
            arn.to_string(),
        ),
        FilterError::NotFound(a) => ApiError::not_found(format!("no filter {a} in this account")),
    }
}

fn filter_shape(f: &FilterRecord) -> Result<Filter, ApiError> {
    Ok(Filter {
        arn: f.arn.clone(),
        owner_id: f.account_id.clone(),
        name: f.name.clone(),
        criteria: serde_json::from_str(&f.wire).map_err(internal)?,
        action: f.action.clone(),
        created_at: ms_to_s(f.created_at),
        updated_at: ms_to_s(f.updated_at),
        description: f.description.clone(),
        reason: f.reason.clone(),
        tags: serde_json::from_str(&f.tags).ok(),
    })
}

fn create_filter(
    svc: &Service,
    caller: &Caller,
    req: CreateFilterRequest,
) -> Result<CreateFilterResponse, ApiError> {
    let now = now_ms();
    svc.store
        .ensure_account(&caller.account_id, now)
        .map_err(internal)?;
    let arn = filter_arn(svc, &caller.account_id);
    let rec = FilterRecord {
        arn: arn.clone(),
        account_id: caller.account_id.clone(),
        name: req.name.clone(),
        action: req.action.clone(),
        description: req.description.clone(),
        reason: req.reason.clone(),
        criteria: criteria(Some(&req.filter_criteria))?,
        wire: serde_json::to_string(&req.filter_criteria).map_err(internal)?,
        tags: serde_json::to_string(&req.tags.clone().unwrap_or_default()).map_err(internal)?,
        created_at: now,
        updated_at: now,
    };
    let changed = svc
        .store
        .create_filter(&rec)
        .map_err(internal)?
        .map_err(|e| filter_error(e, &arn))?;
    tracing::info!(arn, action = rec.action, changed, "filter created");
    Ok(CreateFilterResponse { arn })
}

fn update_filter(
    svc: &Service,
    caller: &Caller,
    req: UpdateFilterRequest,
) -> Result<UpdateFilterResponse, ApiError> {
    let Some(mut rec) = svc
        .store
        .filter(&caller.account_id, &req.filter_arn)
        .map_err(internal)?
    else {
        return Err(ApiError::not_found(format!(
            "no filter {} in this account",
            req.filter_arn
        )));
    };
    if let Some(a) = req.action {
        rec.action = a;
    }
    if let Some(n) = req.name {
        rec.name = n;
    }
    if req.description.is_some() {
        rec.description = req.description;
    }
    if req.reason.is_some() {
        rec.reason = req.reason;
    }
    if let Some(c) = &req.filter_criteria {
        rec.criteria = criteria(Some(c))?;
        rec.wire = serde_json::to_string(c).map_err(internal)?;
    }
    rec.updated_at = now_ms();
    svc.store
        .update_filter(&rec)
        .map_err(internal)?
        .map_err(|e| filter_error(e, &rec.arn))?;
    Ok(UpdateFilterResponse { arn: rec.arn })
}

fn delete_filter(
    svc: &Service,
    caller: &Caller,
    req: DeleteFilterRequest,
) -> Result<DeleteFilterResponse, ApiError> {
    svc.store
        .delete_filter(&caller.account_id, &req.arn, now_ms())
        .map_err(internal)?
        .map_err(|e| filter_error(e, &req.arn))?;
    Ok(DeleteFilterResponse { arn: req.arn })
}

fn list_filters(
    svc: &Service,
    caller: &Caller,
    req: ListFiltersRequest,
) -> Result<ListFiltersResponse, ApiError> {
    let all = svc
        .store
        .list_filters(&caller.account_id, req.action.as_deref())
        .map_err(internal)?;
    let hash = request_hash(&req);
    let start: usize = decode_token(&hash, req.next_token.as_deref())?.unwrap_or(0);
    let size = page_size(req.max_results, 100, 100);
    let chosen: Vec<&FilterRecord> = all
        .iter()
        .filter(|f| req.arns.as_ref().is_none_or(|a| a.contains(&f.arn)))
        .skip(start)
        .collect();
    let next = (chosen.len() > size).then(|| encode_token(&hash, &(start + size)));
    Ok(ListFiltersResponse {
        filters: chosen
            .into_iter()
            .take(size)
            .map(filter_shape)
            .collect::<Result<_, _>>()?,
        next_token: next,
    })
}

fn filter_for_tags(svc: &Service, caller: &Caller, arn: &str) -> Result<FilterRecord, ApiError> {
    svc.store
        .filter(&caller.account_id, arn)
        .map_err(internal)?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no taggable resource {arn} in this account (Scry tags filters)"
            ))
        })
}

/// Changes a filter's tags with `edit` and stores them.
fn edit_filter_tags(
    svc: &Service,
    caller: &Caller,
    arn: &str,
    edit: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<(), ApiError> {
    let f = filter_for_tags(svc, caller, arn)?;
    let mut tags: BTreeMap<String, String> = serde_json::from_str(&f.tags).unwrap_or_default();
    edit(&mut tags);
    if tags.len() > 50 {
        return Err(ApiError::invalid("a resource holds at most 50 tags"));
    }
    svc.store
        .set_filter_tags(
            &caller.account_id,
            &f.arn,
            &serde_json::to_string(&tags).map_err(internal)?,
        )
        .map_err(internal)?;
    Ok(())
}

fn tag_resource(
    svc: &Service,
    caller: &Caller,
    req: TagResourceRequest,
) -> Result<TagResourceResponse, ApiError> {
    edit_filter_tags(svc, caller, &req.resource_arn, |t| t.extend(req.tags))?;
    Ok(TagResourceResponse::default())
}

fn untag_resource(
    svc: &Service,
    caller: &Caller,
    req: UntagResourceRequest,
) -> Result<UntagResourceResponse, ApiError> {
    edit_filter_tags(svc, caller, &req.resource_arn, |t| {
        for k in &req.tag_keys {
            t.remove(k);
        }
    })?;
    Ok(UntagResourceResponse::default())
}

fn list_tags(
    svc: &Service,
    caller: &Caller,
    req: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse, ApiError> {
    let f = filter_for_tags(svc, caller, &req.resource_arn)?;
    Ok(ListTagsForResourceResponse {
        tags: serde_json::from_str(&f.tags).ok(),
    })
}

fn search_vulnerabilities(
    svc: &Service,
    _caller: &Caller,
    req: SearchVulnerabilitiesRequest,
) -> Result<SearchVulnerabilitiesResponse, ApiError> {
    let Some(intel) = svc.intel() else {
        return Err(ApiError::internal(
            "the advisory database is not loaded yet; import one with `scry db import`",
        ));
    };
    let mut out = Vec::new();
    for id in &req.filter_criteria.vulnerability_ids {
        let Some(a) = intel.db.advisory(id).map_err(internal)? else {
            continue;
        };
        let epss = intel.db.epss(id).ok().flatten();
        let kev = intel.loaded.kev.get(id.as_str());
        let cvss3 = a.severity.iter().find_map(|s| {
            let v = s.score.as_str();
            if !v.starts_with("CVSS:3") {
                return None;
            }
            scry_cvss::Cvss::parse(v).ok().map(|c| Cvss3 {
                base_score: Some(c.base_score()),
                scoring_vector: Some(v.to_string()),
            })
        });
        out.push(Vulnerability {
            id: a.id.clone(),
            cwes: Some(cwes_of(&intel.db, &a.id)),
            source: Some(
                if a.id.starts_with("CVE-") {
                    "NVD"
                } else {
                    "OSV"
                }
                .into(),
            ),
            description: a.details.clone().or_else(|| a.summary.clone()),
            related_vulnerabilities: Some(a.aliases.clone()),
            cvss3,
            vendor_created_at: a.published.map(|t| t.timestamp() as f64),
            vendor_updated_at: Some(a.modified.timestamp() as f64),
            reference_urls: Some(a.references.iter().map(|r| r.url.clone()).collect()),
            epss: epss.map(|e| Epss {
                score: Some(e.epss),
            }),
            cisa_data: kev.map(cisa),
            ..Default::default()
        });
    }
    Ok(SearchVulnerabilitiesResponse {
        vulnerabilities: out,
        next_token: None,
    })
}

fn usage_totals(
    svc: &Service,
    caller: &Caller,
    _req: ListUsageTotalsRequest,
) -> Result<ListUsageTotalsResponse, ApiError> {
    let counts = svc
        .store
        .resource_counts(&caller.account_id)
        .map_err(internal)?;
    let usage = counts
        .into_iter()
        .filter_map(|(t, n)| {
            let ty = match t.as_str() {
                "AWS_EC2_INSTANCE" => "EC2_INSTANCE_HOURS",
                "AWS_ECR_CONTAINER_IMAGE" => "ECR_RESCAN",
                "AWS_LAMBDA_FUNCTION" => "LAMBDA_FUNCTION_HOURS",
                _ => return None,
            };
            Some(Usage {
                ty: Some(ty.into()),
                total: Some(n as f64),
                estimated_monthly_cost: Some(0.0),
                currency: Some("USD".into()),
                ..Default::default()
            })
        })
        .collect();
    Ok(ListUsageTotalsResponse {
        next_token: None,
        totals: Some(vec![UsageTotal {
            account_id: Some(caller.account_id.clone()),
            usage: Some(usage),
        }]),
    })
}
