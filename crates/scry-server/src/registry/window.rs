//! The rescan window (Inspector's ECR re-scan duration): which images keep being
//! re-evaluated as advisories change.
//!
//! An image stays eligible while it was pushed within the account's `rescanDuration` or
//! pulled within its `pullDateRescanDuration` (both set by UpdateConfiguration's
//! `ecrConfiguration`, read back by GetConfiguration; Scry's defaults are the ones
//! GetConfiguration reports: `LIFETIME` and `DAYS_180`). An image that leaves the window
//! becomes INACTIVE with reason `SCAN_ELIGIBILITY_EXPIRED` and its findings close ("schedules
//! all associated image findings to be closed"); a push or pull brings it back.
//!
//! Pure: "now" and the account configuration are passed in.

use scry_store::RegistryImage;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The coverage reason of an image out of its window.
pub const EXPIRED_REASON: &str = "SCAN_ELIGIBILITY_EXPIRED";

/// The two durations, in milliseconds (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub push: Option<i64>,
    pub pull: Option<i64>,
}

fn duration(v: Option<&str>, default: Option<i64>) -> Option<i64> {
    match v {
        Some("LIFETIME") => None,
        Some(d) => d
            .strip_prefix("DAYS_")
            .and_then(|n| n.parse::<i64>().ok())
            .map(|n| n * DAY_MS)
            .or(default),
        None => default,
    }
}

impl Window {
    /// From an account's stored configuration JSON (opaque to the store; written by
    /// UpdateConfiguration as `{"rescanDuration": "DAYS_14", "pullDateRescanDuration": ...}`).
    pub fn of_account_config(config: &str) -> Window {
        let v: serde_json::Value = serde_json::from_str(config).unwrap_or_default();
        Window {
            push: duration(v["rescanDuration"].as_str(), None),
            pull: duration(v["pullDateRescanDuration"].as_str(), Some(180 * DAY_MS)),
        }
    }

    /// Whether the image is still re-evaluated at `now`. A pull counts only when there was
    /// one after the push (`last_pulled_or_seen` starts at the first sighting).
    pub fn eligible(&self, img: &RegistryImage, now: i64) -> bool {
        let pushed = self.push.is_none_or(|d| img.pushed_at >= now - d);
        let pulled = img.last_pulled_or_seen > img.pushed_at
            && self.pull.is_none_or(|d| img.last_pulled_or_seen >= now - d);
        pushed || pulled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(pushed: i64, pulled: i64) -> RegistryImage {
        RegistryImage {
            registry_id: 1,
            repository: "app".into(),
            digest: "sha256:x".into(),
            media_type: String::new(),
            tags: Vec::new(),
            pushed_at: pushed,
            last_pulled_or_seen: pulled,
            state: "SCANNED".into(),
            attempts: 1,
            error: None,
            resource_pk: Some(1),
            layers: None,
            layers_cached: None,
            queued_at: pushed,
            scanned_at: None,
        }
    }

    #[test]
    fn windows() {
        let now = 1000 * DAY_MS;
        let default = Window::of_account_config("{}");
        assert_eq!(
            default,
            Window {
                push: None,
                pull: Some(180 * DAY_MS)
            }
        );
        assert!(
            default.eligible(&img(0, 0), now),
            "LIFETIME keeps everything"
        );

        let w = Window::of_account_config(
            r#"{"rescanDuration":"DAYS_14","pullDateRescanDuration":"DAYS_30"}"#,
        );
        assert!(w.eligible(&img(now - 13 * DAY_MS, now - 13 * DAY_MS), now));
        assert!(
            !w.eligible(&img(now - 15 * DAY_MS, now - 15 * DAY_MS), now),
            "never pulled"
        );
        assert!(
            w.eligible(&img(now - 100 * DAY_MS, now - 29 * DAY_MS), now),
            "pulled lately"
        );
        assert!(!w.eligible(&img(now - 100 * DAY_MS, now - 31 * DAY_MS), now));
        let bad = Window::of_account_config(r#"{"rescanDuration":"DAYS_x"}"#);
        assert_eq!(bad.push, None);
        assert_eq!(
            Window::of_account_config("not json").pull,
            Some(180 * DAY_MS)
        );
    }
}
