//! Registry notifications: CNCF Distribution's event envelopes
//! (`application/vnd.docker.distribution.events.v1+json`), read as untrusted input.
//!
//! Rules: the body is at most [`MAX_BODY`] bytes and [`MAX_EVENTS`] events; every event is
//! checked on its own, and one that is malformed is counted and skipped, never failing the
//! others (Distribution retries a whole envelope on an error answer, so a bad event must not
//! make it retry forever). Only `push` and `pull` of image manifests (OCI image manifest,
//! Docker schema 2) count; blobs, indexes and manifest lists (Inspector does not scan those
//! either: their images arrive as manifests of their own) and other actions are ignored.
//! Repositories, tags and digests must have the shapes the distribution spec gives them.
//! Sightings are deduplicated by (action, repository, digest, tag).

use std::collections::BTreeSet;

use scry_store::Sighting;
use serde::Deserialize;

/// Largest notification body accepted.
pub const MAX_BODY: usize = 1 << 20;
/// Most events read from one envelope.
pub const MAX_EVENTS: usize = 1000;

/// The envelope media type Distribution sends.
pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.docker.distribution.events.v1+json";

/// Manifest media types that are images Scry scans.
const IMAGE_MANIFESTS: &[&str] = &[scry_registry::OCI_MANIFEST, scry_registry::DOCKER_MANIFEST];

/// One image digest the registry says was pushed or pulled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sighted {
    pub how: SightingKind,
    pub repository: String,
    pub digest: String,
    pub media_type: String,
    pub tag: Option<String>,
}

/// [`Sighting`] with an order (for deduplication).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SightingKind {
    Push,
    Pull,
}

impl SightingKind {
    pub fn sighting(self) -> Sighting {
        match self {
            SightingKind::Push => Sighting::Push,
            SightingKind::Pull => Sighting::Pull,
        }
    }
}

/// What an envelope held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub sighted: Vec<Sighted>,
    /// Events that were not image manifest pushes or pulls (blobs, indexes, deletes, ...).
    pub ignored: usize,
    /// Events that did not have the expected shape, with the first few reasons.
    pub invalid: usize,
    pub reasons: Vec<String>,
}

#[derive(Deserialize)]
struct Envelope {
    events: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Event {
    action: String,
    target: Target,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    tag: Option<String>,
}

/// Reads an envelope. `Err` only when the body as a whole is not an envelope.
pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    if body.len() > MAX_BODY {
        return Err(format!(
            "the notification is {} bytes; at most {MAX_BODY} are accepted",
            body.len()
        ));
    }
    let env: Envelope = serde_json::from_slice(body).map_err(|e| {
        format!("the body is not a registry notification envelope ({{\"events\": [...]}}): {e}")
    })?;
    if env.events.len() > MAX_EVENTS {
        return Err(format!(
            "the envelope holds {} events; at most {MAX_EVENTS} are accepted (lower the registry's notification batch)",
            env.events.len()
        ));
    }
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    for (i, raw) in env.events.into_iter().enumerate() {
        match event(raw) {
            Ok(Some(s)) => {
                if seen.insert(s.clone()) {
                    out.sighted.push(s);
                }
            }
            Ok(None) => out.ignored += 1,
            Err(reason) => {
                out.invalid += 1;
                if out.reasons.len() < 5 {
                    out.reasons.push(format!("event {i}: {reason}"));
                }
            }
        }
    }
    Ok(out)
}

fn event(raw: serde_json::Value) -> Result<Option<Sighted>, String> {
    let e: Event = serde_json::from_value(raw).map_err(|e| format!("not an event: {e}"))?;
    let how = match e.action.as_str() {
        "push" => SightingKind::Push,
        "pull" => SightingKind::Pull,
        _ => return Ok(None),
    };
    let media = e.target.media_type.split(';').next().unwrap_or("").trim();
    if !IMAGE_MANIFESTS.contains(&media) {
        return Ok(None);
    }
    check_repository(&e.target.repository)?;
    check_digest(&e.target.digest)?;
    let tag = match e.target.tag.filter(|t| !t.is_empty()) {
        Some(t) => {
            check_tag(&t)?;
            Some(t)
        }
        None => None,
    };
    Ok(Some(Sighted {
        how,
        repository: e.target.repository,
        digest: e.target.digest,
        media_type: media.to_string(),
        tag,
    }))
}

/// `sha256:` and 64 lowercase hex digits (or `sha512:` and 128).
pub fn check_digest(d: &str) -> Result<(), String> {
    let ok = match d.split_once(':') {
        Some(("sha256", h)) => h.len() == 64,
        Some(("sha512", h)) => h.len() == 128,
        _ => false,
    } && d.split_once(':').is_some_and(|(_, h)| {
        h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "digest {:?} is not sha256:<64 hex digits>",
            clip(d)
        ))
    }
}

/// Path components of lowercase letters and digits joined by `.`, `_`, `__` or dashes,
/// separated by `/`, at most 255 characters (the distribution spec's name rule).
pub fn check_repository(r: &str) -> Result<(), String> {
    let bad = || format!("repository {:?} is not a valid repository name", clip(r));
    if r.is_empty() || r.len() > 255 {
        return Err(bad());
    }
    for comp in r.split('/') {
        let b = comp.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        if b.is_empty() || !alnum(&b[0]) || !alnum(&b[b.len() - 1]) {
            return Err(bad());
        }
        if !b
            .iter()
            .all(|c| alnum(c) || matches!(c, b'.' | b'_' | b'-'))
        {
            return Err(bad());
        }
        if comp.contains("..") || comp.contains("___") || comp.contains("._") || comp.contains("_.")
        {
            return Err(bad());
        }
    }
    Ok(())
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn check_tag(t: &str) -> Result<(), String> {
    let b = t.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!("tag {:?} is not a valid tag", clip(t)))
    }
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Whether `name` matches `glob` (`*` any run of characters, `/` included; `?` one).
pub fn glob_match(glob: &str, name: &str) -> bool {
    let (g, n): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    let (mut gi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == n[ni]) {
            gi += 1;
            ni += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some(gi);
            mark = ni;
            gi += 1;
        } else if let Some(s) = star {
            gi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while gi < g.len() && g[gi] == '*' {
        gi += 1;
    }
    gi == g.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:2b1f4c7ea3c9f5a4a8b5e6a5f5e2b8a2b1f4c7ea3c9f5a4a8b5e6a5f5e2b8a2b";

    /// An event as Distribution 2.8 sends it (fields it sends that Scry does not read kept).
    fn ev(
        action: &str,
        media: &str,
        repo: &str,
        digest: &str,
        tag: Option<&str>,
    ) -> serde_json::Value {
        let mut target = serde_json::json!({
            "mediaType": media, "size": 528, "digest": digest, "length": 528,
            "repository": repo, "url": format!("http://127.0.0.1:5000/v2/{repo}/manifests/{digest}"),
        });
        if let Some(t) = tag {
            target["tag"] = t.into();
        }
        serde_json::json!({
            "id": "320678d8-ca14-430f-8bb6-4ca139cd83f7", "timestamp": "2024-01-01T00:00:00Z",
            "action": action, "target": target,
            "request": {"id": "x", "addr": "127.0.0.1:4242", "host": "127.0.0.1:5000", "method": "PUT", "useragent": "skopeo"},
            "actor": {}, "source": {"addr": "h:5000", "instanceID": "i"},
        })
    }

    fn body(events: Vec<serde_json::Value>) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "events": events })).unwrap()
    }

    #[test]
    fn manifest_pushes_and_pulls_count_the_rest_is_ignored() {
        let m = scry_registry::OCI_MANIFEST;
        let p = parse(&body(vec![
            ev("push", m, "team/app", D1, Some("1.0")),
            ev("push", m, "team/app", D1, Some("1.0")),
            ev("push", "application/octet-stream", "team/app", D1, None),
            ev(
                "push",
                "application/vnd.oci.image.layer.v1.tar+gzip",
                "team/app",
                D1,
                None,
            ),
            ev(
                "push",
                scry_registry::OCI_INDEX,
                "team/app",
                D1,
                Some("multi"),
            ),
            ev("delete", m, "team/app", D1, None),
            ev(
                "pull",
                &format!("{}; charset=utf-8", scry_registry::DOCKER_MANIFEST),
                "team/app",
                D1,
                None,
            ),
        ]))
        .unwrap();
        assert_eq!(p.sighted.len(), 2, "{p:?}");
        assert_eq!(p.sighted[0].tag.as_deref(), Some("1.0"));
        assert_eq!(p.sighted[1].how, SightingKind::Pull);
        assert_eq!((p.ignored, p.invalid), (4, 0));
    }

    #[test]
    fn hostile_events_are_refused_one_by_one() {
        let m = scry_registry::OCI_MANIFEST;
        let long = "a".repeat(300);
        let p = parse(&body(vec![
            ev("push", m, "../../etc", D1, None),
            ev("push", m, "App", D1, None),
            ev("push", m, &long, D1, None),
            ev("push", m, "app", "sha256:../../x", None),
            ev("push", m, "app", "md5:abc", None),
            ev("push", m, "app", D1, Some("-bad")),
            ev("push", m, "app", D1, Some(&"t".repeat(129))),
            ev("push", m, "app", D1, Some("ok\nno")),
            serde_json::json!({"action": "push"}),
            serde_json::json!("not an object"),
            ev("push", m, "ok", D1, Some("v1")),
        ]))
        .unwrap();
        assert_eq!(p.invalid, 10, "{p:?}");
        assert_eq!(p.sighted.len(), 1);
        assert_eq!(p.reasons.len(), 5);
        assert!(p.reasons[0].contains("repository"), "{:?}", p.reasons);

        assert!(parse(b"{")
            .unwrap_err()
            .contains("not a registry notification"));
        assert!(parse(b"[]").is_err());
        let many = body((0..MAX_EVENTS + 1).map(|_| serde_json::json!({})).collect());
        assert!(parse(&many).unwrap_err().contains("at most 1000"));
        assert!(parse(&vec![b' '; MAX_BODY + 1])
            .unwrap_err()
            .contains("bytes"));
    }

    #[test]
    fn globs() {
        for (g, n, want) in [
            ("*", "a/b", true),
            ("team/*", "team/app", true),
            ("team/*", "other/app", false),
            ("app?", "app1", true),
            ("app?", "app", false),
            ("*-prod", "x/y-prod", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
        ] {
            assert_eq!(glob_match(g, n), want, "{g} {n}");
        }
    }
}
