//! Scry's native API: pushing a resource's inventory.
//!
//! `POST /scry/v1/inventories` with a JSON [`scry_wire::native::PushInventory`], signed with
//! SigV4 like the Inspector API (service name `scry`). Keys with role `agent` or `admin` may
//! push.

use scry_inventory::Inventory;
use scry_store::ResourceInfo;
use scry_wire::native::{PushInventory, PushResult};
use scry_wire::ApiError;

use crate::api::Caller;
use crate::service::{resource_arn, Service};

/// Resource ids: what Inspector's own ids look like at most (printable, bounded).
pub(crate) fn check_id(what: &str, v: &str) -> Result<(), ApiError> {
    if v.is_empty() || v.len() > 1011 || v.chars().any(|c| c.is_control()) {
        return Err(ApiError::invalid(format!(
            "{what} must be 1 to 1011 printable characters"
        )));
    }
    Ok(())
}

pub fn dispatch(
    svc: &Service,
    caller: &Caller,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    match (method, path) {
        ("POST", "/scry/v1/inventories") => {}
        ("GET", "/scry/v1/agents") => return crate::agent::list(svc, caller),
        _ => return Err(ApiError::unknown_operation(method, path)),
    }
    if caller.role == "reader" {
        return Err(ApiError::access_denied(format!(
            "access key {} has role reader; pushing inventories needs an agent or admin key",
            caller.access_key_id
        )));
    }
    let req: PushInventory = serde_json::from_slice(body).map_err(|e| {
        ApiError::validation(
            scry_wire::ValidationReason::CannotParse,
            format!("the inventory push is not valid JSON of the expected shape: {e}"),
            Vec::new(),
        )
    })?;
    check_id("resourceId", &req.resource_id)?;
    let ty = match req.resource_type.as_str() {
        "AWS_EC2_INSTANCE" | "AWS_ECR_CONTAINER_IMAGE" | "AWS_LAMBDA_FUNCTION" | "CODE_REPOSITORY" => {
            req.resource_type.clone()
        }
        other => {
            return Err(ApiError::invalid(format!(
                "resourceType {other:?} is not one of AWS_EC2_INSTANCE, AWS_ECR_CONTAINER_IMAGE, AWS_LAMBDA_FUNCTION, CODE_REPOSITORY"
            )))
        }
    };
    if req.inventory.packages.len() > 200_000 {
        return Err(ApiError::invalid(
            "an inventory holds at most 200000 packages",
        ));
    }
    let agent = match crate::agent::before_ingest(
        svc,
        caller,
        &ty,
        &req.resource_id,
        req.host.as_ref(),
        req.sequence,
    )? {
        crate::agent::Decision::Apply(a) => a,
        crate::agent::Decision::Ignore(why) => {
            let out = not_applied(
                resource_arn(&svc.region, &caller.account_id, &ty, &req.resource_id),
                req.inventory.packages.len(),
                why,
            );
            return serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()));
        }
    };
    let inv: Inventory = req.inventory;
    let m = req.metadata.unwrap_or_default();
    let info = ResourceInfo {
        account_id: caller.account_id.clone(),
        arn: resource_arn(&svc.region, &caller.account_id, &ty, &req.resource_id),
        resource_type: ty,
        resource_id: req.resource_id.clone(),
        details: req.details.map(|d| d.to_string()),
        ec2_image_id: m.ec2_image_id,
        platform: m.platform.or_else(|| {
            inv.distro
                .as_ref()
                .map(|d| format!("{}_{}", d.id.to_uppercase(), d.version_id))
        }),
        ecr_registry: m.ecr_registry,
        ecr_repository: m.ecr_repository,
        ecr_image_hash: m.ecr_image_hash,
        ecr_image_tags: m.ecr_image_tags,
        ecr_architecture: m.architecture,
        ecr_pushed_at: m.ecr_pushed_at.map(|s| (s * 1000.0) as i64),
        lambda_name: m.lambda_function_name,
        lambda_runtime: m.lambda_runtime,
        lambda_layers: m.lambda_layers,
        lambda_modified_at: m.lambda_last_modified_at.map(|s| (s * 1000.0) as i64),
        tags: req.tags,
    };
    let arn = info.arn.clone();
    if let Some((reason, why)) = req.host.as_ref().and_then(crate::agent::problem_reason) {
        // The agent could not read the host's software: the inventory is incomplete and
        // must not close findings; coverage shows why instead.
        let note = crate::agent::hold(svc, info, reason, &why)?;
        agent.after_ingest(svc)?;
        let out = not_applied(arn, inv.packages.len(), note);
        return serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()));
    }
    let summary = svc.ingest(info, &inv, "push").map_err(|e| {
        tracing::error!(error = %e, "ingest failed");
        ApiError::internal("Scry could not store the inventory; the server log has the cause")
    })?;
    agent.after_ingest(svc)?;
    let out = PushResult {
        resource_arn: arn,
        packages: inv.packages.len(),
        opened: summary.opened,
        reopened: summary.reopened,
        closed: summary.closed,
        updated: summary.updated,
        unchanged: summary.unchanged,
        suppressed: summary.suppressed,
        ignored: None,
    };
    serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()))
}

/// The answer to a push that changed no finding, saying why.
fn not_applied(resource_arn: String, packages: usize, why: String) -> PushResult {
    PushResult {
        resource_arn,
        packages,
        opened: 0,
        reopened: 0,
        closed: 0,
        updated: 0,
        unchanged: 0,
        suppressed: 0,
        ignored: Some(why),
    }
}
