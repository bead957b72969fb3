//! The Inspector-style score: the CVSS 3.1 base re-scored with environmental metrics derived
//! from what is known of the resource, returned with the adjustments made.
//!
//! Inspector documents one adjustment: a vulnerability exploitable over the network scores
//! lower when the resource has no open network path. Scry applies it as CVSS 3.1 modified
//! attack vector: nothing reachable from the network turns AV:N/AV:A into MAV:L; reachable
//! only on an adjacent (private) network turns AV:N into MAV:A.

use serde::Serialize;

use crate::{round1, Cvss, CvssError, CvssVersion, Severity};

/// What is known of the resource. `None` means unknown: no adjustment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// `Some(false)`: nothing on the resource listens on a non-loopback address.
    pub network_reachable: Option<bool>,
    /// `Some(false)`: reachable, but not from the internet (private network only).
    pub internet_reachable: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjustment {
    pub metric: String,
    pub from: String,
    pub to: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectorScore {
    pub score: f64,
    /// The CVSS 3.1 vector with the environmental metrics appended.
    pub vector: String,
    pub adjustments: Vec<Adjustment>,
    pub severity: Severity,
}

/// Re-score a CVSS 3.x vector for `ctx`. With no adjustment the score is the base score.
pub fn inspector_score(base: &Cvss, ctx: &Context) -> Result<InspectorScore, CvssError> {
    if !matches!(base.version(), CvssVersion::V3_0 | CvssVersion::V3_1) {
        return Err(CvssError {
            vector: base.vector().into(),
            reason: "the Inspector score is defined on CVSS 3.x".into(),
        });
    }
    // CVSS 3.0 vectors are re-scored as 3.1, as Inspector uses the 3.1 calculator.
    let vector31 = base.vector().replacen("CVSS:3.0/", "CVSS:3.1/", 1);
    let av = vector31
        .split('/')
        .find_map(|m| m.strip_prefix("AV:"))
        .unwrap_or("N")
        .to_string();
    let mut adjustments = Vec::new();
    let to = match (ctx.network_reachable, ctx.internet_reachable, av.as_str()) {
        (Some(false), _, "N" | "A") => {
            Some(("L", "no port on the resource is reachable from the network"))
        }
        (Some(true) | None, Some(false), "N") => Some((
            "A",
            "the resource is reachable only from its private network, not from the internet",
        )),
        _ => None,
    };
    let mut vector = vector31.clone();
    if let Some((to, reason)) = to {
        adjustments.push(Adjustment {
            metric: "MAV".into(),
            from: av.clone(),
            to: to.into(),
            reason: reason.into(),
        });
        vector.push_str(&format!("/MAV:{to}"));
    }
    let parsed = Cvss::parse(&vector)?;
    let v3 = parsed.v3().ok_or_else(|| CvssError {
        vector: vector.clone(),
        reason: "not CVSS 3.x".into(),
    })?;
    let score = if adjustments.is_empty() {
        parsed.base_score()
    } else {
        round1(v3.environmental_score().value())
    };
    Ok(InspectorScore {
        score,
        vector,
        adjustments,
        severity: Severity::from_score(score),
    })
}
