//! Cancelling findings reports and SBOM exports, and one findings report at a time. Jobs are
//! held back with `set_job_start_delay_ms` (process-wide, hence a test binary of their own).

mod reports_common;

use std::time::Duration;

use reports_common::*;
use scry_server::reports;
use scry_wire::shapes::*;
use scry_wire::ErrorCode;

fn create(env: &Env, prefix: &str) -> Result<String, scry_wire::ApiError> {
    reports::create_findings_report(
        &env.svc,
        &env.caller,
        CreateFindingsReportRequest {
            filter_criteria: None,
            report_format: "CSV".into(),
            s3_destination: destination("scry-reports", Some(prefix)),
        },
    )
    .map(|r| r.report_id.unwrap())
}

fn status(env: &Env, id: &str) -> GetFindingsReportStatusResponse {
    reports::get_findings_report_status(
        &env.svc,
        &env.caller,
        GetFindingsReportStatusRequest {
            report_id: Some(id.into()),
        },
    )
    .unwrap()
}

#[test]
fn cancel_reports_and_exports() {
    let env = setup();
    reports::set_job_start_delay_ms(1500);

    // A report held back: IN_PROGRESS, a second one is refused, then it is cancelled.
    let id = create(&env, "held").unwrap();
    assert_eq!(status(&env, &id).status.as_deref(), Some("IN_PROGRESS"));
    let e = create(&env, "second").unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert!(
        e.message
            .contains("Cannot have multiple reports in-progress"),
        "{}",
        e.message
    );
    let c = reports::cancel_findings_report(
        &env.svc,
        &env.caller,
        CancelFindingsReportRequest {
            report_id: id.clone(),
        },
    )
    .unwrap();
    assert_eq!(c.report_id, id);
    assert_eq!(status(&env, &id).status.as_deref(), Some("CANCELLED"));
    // Cancelling again is fine.
    reports::cancel_findings_report(
        &env.svc,
        &env.caller,
        CancelFindingsReportRequest {
            report_id: id.clone(),
        },
    )
    .unwrap();

    // An SBOM export held back and cancelled.
    let sbom = reports::create_sbom_export(
        &env.svc,
        &env.caller,
        CreateSbomExportRequest {
            resource_filter_criteria: None,
            report_format: "CYCLONEDX_1_4".into(),
            s3_destination: destination("sboms", None),
        },
    )
    .unwrap()
    .report_id
    .unwrap();
    assert_eq!(wait_export_status(&env, &sbom), "IN_PROGRESS");
    reports::cancel_sbom_export(
        &env.svc,
        &env.caller,
        CancelSbomExportRequest {
            report_id: sbom.clone(),
        },
    )
    .unwrap();
    assert_eq!(wait_export_status(&env, &sbom), "CANCELLED");

    // Once the held jobs wake up they write nothing and stay CANCELLED.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(status(&env, &id).status.as_deref(), Some("CANCELLED"));
    assert_eq!(wait_export_status(&env, &sbom), "CANCELLED");
    assert!(
        files_under(&env.reports_dir())
            .iter()
            .all(|f| !f.ends_with(".csv") && !f.ends_with(".json")),
        "{:?}",
        files_under(&env.reports_dir())
    );

    // A new report runs; a finished report cannot be cancelled.
    reports::set_job_start_delay_ms(0);
    let id2 = create(&env, "second").unwrap();
    let st = wait_report(&env, &id2);
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    let e = reports::cancel_findings_report(
        &env.svc,
        &env.caller,
        CancelFindingsReportRequest {
            report_id: id2.clone(),
        },
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert!(e.message.contains("SUCCEEDED"), "{}", e.message);
    assert_eq!(
        files_under(&env.reports_dir()),
        [format!("scry-reports/second/{id2}.csv")]
    );
}

fn wait_export_status(env: &Env, id: &str) -> String {
    reports::get_sbom_export(
        &env.svc,
        &env.caller,
        GetSbomExportRequest {
            report_id: id.into(),
        },
    )
    .unwrap()
    .status
    .unwrap()
}
