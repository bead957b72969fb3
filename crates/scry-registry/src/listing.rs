//! Listing what a registry holds: the catalog of repositories, a repository's tags, and the
//! digest a tag points at (what `scry server` polls to notice pushes it was not told about).
//!
//! Rules: both lists are paged as the distribution spec says (`?n=` and the `Link` header's
//! `rel="next"`, which must stay on the same registry path), each page is capped at 4 MiB,
//! and a list stops at the caller's maximum. The catalog asks for the `registry:catalog:*`
//! token scope.

use reqwest::header::LINK;
use serde::Deserialize;

use crate::client::{read_capped, MAX_MANIFEST_BYTES};
use crate::{Client, Reference, RegistryError};

const PAGE: usize = 1000;
const MAX_PAGE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The path of the next page from a `Link: </v2/...?last=x&n=100>; rel="next"` header, when it
/// stays under `prefix`.
fn next_page(link: Option<&str>, prefix: &str) -> Option<String> {
    let link = link?;
    for part in link.split(',') {
        let part = part.trim();
        if !part.contains("rel=\"next\"") && !part.contains("rel=next") {
            continue;
        }
        let start = part.find('<')? + 1;
        let end = part[start..].find('>')? + start;
        let target = &part[start..end];
        // Absolute links are reduced to their path; only same-path paging is followed.
        let path = match target.find("://") {
            Some(i) => &target[target[i + 3..].find('/').map(|j| i + 3 + j)?..],
            None => target,
        };
        if path.starts_with(prefix) && path.len() <= 4096 {
            return Some(path.to_string());
        }
    }
    None
}

impl Client {
    /// Follows `rel="next"` pages from `first` (staying under `prefix`) until `max` items.
    #[allow(clippy::too_many_arguments)]
    fn list_pages<T: for<'de> Deserialize<'de>>(
        &self,
        r: &Reference,
        scope: &str,
        first: String,
        prefix: &str,
        what: &str,
        max: usize,
        items: impl Fn(T) -> Vec<String>,
    ) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        let mut path = Some(first);
        while let Some(p) = path.take() {
            let (resp, url) = self.get_authed_scoped(r, scope, &p, None, what)?;
            let link = resp
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = read_capped(resp, MAX_PAGE_BYTES, what, &url)?;
            let page: T = serde_json::from_slice(&body).map_err(|e| RegistryError::Http {
                url: url.clone(),
                status: 200,
                detail: format!(": {what} is not the expected JSON ({e})"),
            })?;
            let got = items(page);
            let empty = got.is_empty();
            out.extend(got);
            if out.len() >= max {
                out.truncate(max);
                break;
            }
            if !empty {
                path = next_page(link.as_deref(), prefix);
            }
        }
        Ok(out)
    }

    /// The repositories of `registry` (`host[:port]`), at most `max`.
    pub fn catalog(&self, registry: &str, max: usize) -> Result<Vec<String>, RegistryError> {
        let r = Reference {
            registry: registry.to_string(),
            repository: String::new(),
            tag: None,
            digest: None,
        };
        self.list_pages(
            &r,
            "registry:catalog:*",
            format!("/v2/_catalog?n={PAGE}"),
            "/v2/_catalog?",
            "the catalog",
            max,
            |p: CatalogPage| p.repositories.unwrap_or_default(),
        )
    }

    /// The tags of the repository `r` names, at most `max`.
    pub fn tags(&self, r: &Reference, max: usize) -> Result<Vec<String>, RegistryError> {
        let prefix = format!("/v2/{}/tags/list?", r.repository);
        self.list_pages(
            r,
            &r.pull_scope(),
            format!("/v2/{}/tags/list?n={PAGE}", r.repository),
            &prefix,
            &format!("the tags of {}", r.repository),
            max,
            |p: TagsPage| p.tags.unwrap_or_default(),
        )
    }

    /// The digest (computed over the bytes received) and media type of the manifest `r`
    /// points at, without resolving an index to a platform.
    pub fn manifest_digest(&self, r: &Reference) -> Result<(String, String), RegistryError> {
        let (bytes, media_type) = self.fetch_manifest(r, r.manifest_ref())?;
        debug_assert!(bytes.len() as u64 <= MAX_MANIFEST_BYTES);
        let media_type = if media_type.is_empty() {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["mediaType"].as_str().map(str::to_string))
                .unwrap_or_default()
        } else {
            media_type
        };
        Ok((crate::blob::digest_like("sha256:", &bytes), media_type))
    }
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn link_headers() {
        let p = "/v2/_catalog?";
        assert_eq!(
            next_page(Some("</v2/_catalog?last=b&n=2>; rel=\"next\""), p).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(
            next_page(
                Some("<https://r.example/v2/_catalog?last=b>; rel=\"next\""),
                p
            )
            .as_deref(),
            Some("/v2/_catalog?last=b")
        );
        assert_eq!(next_page(Some("</v2/other?x>; rel=\"next\""), p), None);
        assert_eq!(
            next_page(Some("</v2/_catalog?last=b>; rel=\"prev\""), p),
            None
        );
        assert_eq!(next_page(None, p), None);
        assert_eq!(next_page(Some("garbage"), p), None);
    }
}
