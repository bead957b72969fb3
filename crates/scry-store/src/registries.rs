//! Watched registries and the image digests seen in them.
//!
//! A registry row holds where it is, its credentials (the password sealed under the master
//! key, as access keys are), the repository glob, and the SHA-256 of the bearer token its
//! notifications carry (the token itself is shown once, at `scry registry add`). An image row
//! is one (registry, repository, digest): its tags, when it was pushed and last pulled (or
//! first seen), and where its scan stands. Every change that belongs together — a digest
//! recorded and a tag moved off the digest it was on — is one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::criteria::multi;
use crate::{MasterKey, SqlContext, Store, StoreError};

/// A new registry to watch.
#[derive(Clone, PartialEq, Eq)]
pub struct NewRegistry {
    pub account_id: String,
    /// As the user gave it (`http://127.0.0.1:5000`).
    pub url: String,
    /// `host[:port]`, as image references name it.
    pub host: String,
    /// Spoken to over plain HTTP.
    pub insecure: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Which repositories are watched (a glob: `*` any run of characters, `?` one).
    pub repositories: String,
    pub poll_seconds: i64,
}

impl std::fmt::Debug for NewRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRegistry")
            .field("account_id", &self.account_id)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A watched registry as stored (never with its password; see [`Store::registry_password`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryRow {
    pub id: i64,
    pub account_id: String,
    pub url: String,
    pub host: String,
    pub insecure: bool,
    pub username: Option<String>,
    pub repositories: String,
    pub poll_seconds: i64,
    pub created_at: i64,
    pub polled_at: Option<i64>,
    pub last_error: Option<String>,
}

/// One image digest in a watched registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryImage {
    pub registry_id: i64,
    pub repository: String,
    pub digest: String,
    pub media_type: String,
    pub tags: Vec<String>,
    pub pushed_at: i64,
    pub last_pulled_or_seen: i64,
    /// `QUEUED`, `SCANNING`, `SCANNED`, `FAILED`, `EXPIRED`.
    pub state: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub resource_pk: Option<i64>,
    pub layers: Option<i64>,
    pub layers_cached: Option<i64>,
    pub queued_at: i64,
    pub scanned_at: Option<i64>,
}

/// How a digest came to be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// A push notification: new digests are queued, an expired one is queued again, and the
    /// push date moves.
    Push,
    /// A pull notification: the pull date moves; an expired digest is queued again.
    Pull,
    /// Found by polling the catalog: new digests are queued; dates of known ones stay.
    Poll,
}

/// What recording a sighting did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The digest was queued for a scan (new, or expired and seen again).
    pub queued: bool,
    /// Other digests of the repository whose tags changed (the tag moved off them).
    pub retagged: Vec<RegistryImage>,
}

/// The SHA-256 (hex) a notification token is stored as.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random notification token (256 bits, URL- and YAML-safe).
pub fn new_registry_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    format!("scryreg_{}", hex::encode(b))
}

const REGISTRY_COLUMNS: &str = "id, account_id, url, host, insecure, username, repositories, poll_seconds, created_at, polled_at, last_error";
const IMAGE_COLUMNS: &str = "registry_id, repository, digest, media_type, tags, pushed_at, last_pulled_or_seen, state, attempts, error, resource_pk, layers, layers_cached, queued_at, scanned_at";

fn registry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegistryRow> {
    Ok(RegistryRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        url: r.get(2)?,
        host: r.get(3)?,
        insecure: r.get(4)?,
        username: r.get(5)?,
        repositories: r.get(6)?,
        poll_seconds: r.get(7)?,
        created_at: r.get(8)?,
        polled_at: r.get(9)?,
        last_error: r.get(10)?,
    })
}

fn split_tags(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn image_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegistryImage> {
    Ok(RegistryImage {
        registry_id: r.get(0)?,
        repository: r.get(1)?,
        digest: r.get(2)?,
        media_type: r.get(3)?,
        tags: split_tags(&r.get::<_, String>(4)?),
        pushed_at: r.get(5)?,
        last_pulled_or_seen: r.get(6)?,
        state: r.get(7)?,
        attempts: r.get(8)?,
        error: r.get(9)?,
        resource_pk: r.get(10)?,
        layers: r.get(11)?,
        layers_cached: r.get(12)?,
        queued_at: r.get(13)?,
        scanned_at: r.get(14)?,
    })
}

fn tags_text(tags: &BTreeSet<String>) -> String {
    multi(&tags.iter().collect::<Vec<_>>()).unwrap_or_default()
}

fn image_in(
    tx: &Transaction<'_>,
    registry_id: i64,
    repository: &str,
    digest: &str,
) -> Result<Option<RegistryImage>, StoreError> {
    tx.query_row(
        &format!("SELECT {IMAGE_COLUMNS} FROM registry_images WHERE registry_id = ?1 AND repository = ?2 AND digest = ?3"),
        rusqlite::params![registry_id, repository, digest],
        image_row,
    )
    .optional()
    .doing("reading a registry image")
}

fn set_tags(
    tx: &Transaction<'_>,
    img: &RegistryImage,
    tags: &BTreeSet<String>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE registry_images SET tags = ?4 WHERE registry_id = ?1 AND repository = ?2 AND digest = ?3",
        rusqlite::params![img.registry_id, img.repository, img.digest, tags_text(tags)],
    )
    .doing("writing image tags")?;
    Ok(())
}

impl Store {
    /// Stores a registry to watch; the error names the registry when the account already
    /// watches it.
    pub fn add_registry(
        &self,
        master: &MasterKey,
        r: &NewRegistry,
        token_hash: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        self.ensure_account(&r.account_id, now)?;
        let sealed = r.password.as_ref().map(|p| master.seal(p.as_bytes()));
        let conn = self.write();
        let exists: Option<i64> = conn
            .query_row(
                "SELECT id FROM registries WHERE account_id = ?1 AND host = ?2",
                [&r.account_id, &r.host],
                |row| row.get(0),
            )
            .optional()
            .doing("adding a registry")?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "account {} already watches {} — `scry registry remove {}` first to change it",
                r.account_id, r.host, r.host
            )));
        }
        conn.execute(
            "INSERT INTO registries (account_id, url, host, insecure, username, password_sealed, repositories, token_hash, poll_seconds, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                r.account_id,
                r.url,
                r.host,
                r.insecure,
                r.username,
                sealed,
                r.repositories,
                token_hash,
                r.poll_seconds,
                now
            ],
        )
        .doing("adding a registry")?;
        Ok(conn.last_insert_rowid())
    }

    pub fn registries(&self) -> Result<Vec<RegistryRow>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {REGISTRY_COLUMNS} FROM registries ORDER BY account_id, host"
            ))
            .doing("listing registries")?;
        let out = st
            .query_map([], registry_row)
            .doing("listing registries")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing registries")?;
        Ok(out)
    }

    pub fn registry(&self, id: i64) -> Result<Option<RegistryRow>, StoreError> {
        self.read()
            .query_row(
                &format!("SELECT {REGISTRY_COLUMNS} FROM registries WHERE id = ?1"),
                [id],
                registry_row,
            )
            .optional()
            .doing("reading a registry")
    }

    /// The registry whose notification token hashes to `hash`.
    pub fn registry_by_token_hash(&self, hash: &str) -> Result<Option<RegistryRow>, StoreError> {
        self.read()
            .query_row(
                &format!("SELECT {REGISTRY_COLUMNS} FROM registries WHERE token_hash = ?1"),
                [hash],
                registry_row,
            )
            .optional()
            .doing("authenticating a registry notification")
    }

    /// The registry's password, unsealed.
    pub fn registry_password(
        &self,
        master: &MasterKey,
        id: i64,
    ) -> Result<Option<String>, StoreError> {
        let sealed: Option<Option<Vec<u8>>> = self
            .read()
            .query_row(
                "SELECT password_sealed FROM registries WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .doing("reading registry credentials")?;
        match sealed.flatten() {
            None => Ok(None),
            Some(s) => Ok(Some(String::from_utf8(master.unseal(&s)?).map_err(
                |_| StoreError::Corrupt {
                    what: "registry password",
                    reason: "not UTF-8".into(),
                },
            )?)),
        }
    }

    /// Stops watching a registry (by host or URL, optionally within one account). Its image
    /// rows go; the resources and findings its scans made stay, as pushed inventories do.
    pub fn remove_registry(
        &self,
        account_id: Option<&str>,
        host_or_url: &str,
    ) -> Result<usize, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("removing a registry")?;
        let ids: Vec<i64> = {
            let mut st = tx
                .prepare(
                    "SELECT id FROM registries WHERE (host = ?1 OR url = ?1) AND (?2 IS NULL OR account_id = ?2)",
                )
                .doing("removing a registry")?;
            let ids = st
                .query_map(rusqlite::params![host_or_url, account_id], |r| r.get(0))
                .doing("removing a registry")?
                .collect::<Result<Vec<_>, _>>()
                .doing("removing a registry")?;
            ids
        };
        for id in &ids {
            tx.execute("DELETE FROM registry_images WHERE registry_id = ?1", [id])
                .doing("removing a registry")?;
            tx.execute("DELETE FROM registries WHERE id = ?1", [id])
                .doing("removing a registry")?;
        }
        tx.commit().doing("removing a registry")?;
        Ok(ids.len())
    }

    pub fn set_registry_polled(
        &self,
        id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write()
            .execute(
                "UPDATE registries SET polled_at = ?2, last_error = ?3 WHERE id = ?1",
                rusqlite::params![id, now, error],
            )
            .doing("recording a registry poll")?;
        Ok(())
    }

    /// Records a digest seen in a registry (with the tag it was pushed or found under). A tag
    /// is on one digest of a repository at a time: it moves off whichever digest had it.
    #[allow(clippy::too_many_arguments)]
    pub fn record_image(
        &self,
        registry_id: i64,
        repository: &str,
        digest: &str,
        media_type: &str,
        tag: Option<&str>,
        how: Sighting,
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("recording an image")?;
        let mut out = Recorded::default();
        let existing = image_in(&tx, registry_id, repository, digest)?;
        match &existing {
            None => {
                tx.execute(
                    "INSERT INTO registry_images (registry_id, repository, digest, media_type, tags, pushed_at, last_pulled_or_seen, state, queued_at)
                     VALUES (?1, ?2, ?3, ?4, '', ?5, ?5, 'QUEUED', ?5)",
                    rusqlite::params![registry_id, repository, digest, media_type, now],
                )
                .doing("recording an image")?;
                out.queued = true;
            }
            Some(img) => {
                let requeue = img.state == "EXPIRED" && how != Sighting::Poll;
                let (pushed, seen) = match how {
                    Sighting::Push => (now, now),
                    Sighting::Pull => (img.pushed_at, now),
                    Sighting::Poll => (img.pushed_at, img.last_pulled_or_seen),
                };
                tx.execute(
                    "UPDATE registry_images SET pushed_at = ?4, last_pulled_or_seen = ?5,
                        state = CASE WHEN ?6 THEN 'QUEUED' ELSE state END,
                        attempts = CASE WHEN ?6 THEN 0 ELSE attempts END,
                        queued_at = CASE WHEN ?6 THEN ?7 ELSE queued_at END
                     WHERE registry_id = ?1 AND repository = ?2 AND digest = ?3",
                    rusqlite::params![registry_id, repository, digest, pushed, seen, requeue, now],
                )
                .doing("recording an image")?;
                out.queued = requeue;
            }
        }
        if let Some(tag) = tag {
            let mine: BTreeSet<String> = existing
                .as_ref()
                .map(|i| i.tags.iter().cloned().collect())
                .unwrap_or_default();
            if !mine.contains(tag) {
                let mut with = mine;
                with.insert(tag.to_string());
                let me = image_in(&tx, registry_id, repository, digest)?.ok_or_else(|| {
                    StoreError::Corrupt {
                        what: "registry image",
                        reason: "vanished while recording".into(),
                    }
                })?;
                set_tags(&tx, &me, &with)?;
                out.retagged = move_tag_off(&tx, registry_id, repository, digest, tag)?;
            }
        }
        tx.commit().doing("recording an image")?;
        Ok(out)
    }

    /// Sets the tags of a repository's digests to what polling found (`tags` by digest);
    /// known digests not in the map lose their tags. Returns the images whose tags changed.
    pub fn set_repository_tags(
        &self,
        registry_id: i64,
        repository: &str,
        tags: &BTreeMap<String, BTreeSet<String>>,
    ) -> Result<Vec<RegistryImage>, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("writing repository tags")?;
        let images = images_of_repo(&tx, registry_id, repository)?;
        let mut changed = Vec::new();
        let none = BTreeSet::new();
        for mut img in images {
            let want = tags.get(&img.digest).unwrap_or(&none);
            let have: BTreeSet<String> = img.tags.iter().cloned().collect();
            if &have != want {
                set_tags(&tx, &img, want)?;
                img.tags = want.iter().cloned().collect();
                changed.push(img);
            }
        }
        tx.commit().doing("writing repository tags")?;
        Ok(changed)
    }

    /// Images of a registry (or all), newest push first.
    pub fn registry_images(
        &self,
        registry_id: Option<i64>,
    ) -> Result<Vec<RegistryImage>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {IMAGE_COLUMNS} FROM registry_images WHERE ?1 IS NULL OR registry_id = ?1 ORDER BY pushed_at DESC, repository, digest"
            ))
            .doing("listing registry images")?;
        let out = st
            .query_map([registry_id], image_row)
            .doing("listing registry images")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing registry images")?;
        Ok(out)
    }

    /// Takes the oldest queued image that is due (QUEUED → SCANNING).
    pub fn claim_image(&self, now: i64) -> Result<Option<RegistryImage>, StoreError> {
        let conn = self.write();
        conn.query_row(
            &format!(
                "UPDATE registry_images SET state = 'SCANNING', attempts = attempts + 1
                 WHERE rowid = (SELECT rowid FROM registry_images WHERE state = 'QUEUED' AND queued_at <= ?1 ORDER BY queued_at LIMIT 1)
                 RETURNING {IMAGE_COLUMNS}"
            ),
            [now],
            image_row,
        )
        .optional()
        .doing("claiming an image to scan")
    }

    /// Records a finished scan: SCANNED with its resource, or — on failure — QUEUED again
    /// at `retry_at`, or FAILED when `retry_at` is `None`.
    #[allow(clippy::too_many_arguments)]
    pub fn finish_image(
        &self,
        img: &RegistryImage,
        result: Result<(i64, usize, usize), &str>,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let conn = self.write();
        match result {
            Ok((pk, layers, cached)) => conn.execute(
                "UPDATE registry_images SET state = 'SCANNED', error = NULL, resource_pk = ?4, layers = ?5, layers_cached = ?6, scanned_at = ?7
                 WHERE registry_id = ?1 AND repository = ?2 AND digest = ?3",
                rusqlite::params![img.registry_id, img.repository, img.digest, pk, layers as i64, cached as i64, now],
            ),
            Err(e) => conn.execute(
                "UPDATE registry_images SET state = CASE WHEN ?5 IS NULL THEN 'FAILED' ELSE 'QUEUED' END, error = ?4, queued_at = coalesce(?5, queued_at)
                 WHERE registry_id = ?1 AND repository = ?2 AND digest = ?3",
                rusqlite::params![img.registry_id, img.repository, img.digest, e, retry_at],
            ),
        }
        .doing("recording an image scan")?;
        Ok(())
    }

    /// Scans interrupted by a stop are queued again (on start).
    pub fn requeue_interrupted_images(&self) -> Result<usize, StoreError> {
        self.write()
            .execute(
                "UPDATE registry_images SET state = 'QUEUED' WHERE state = 'SCANNING'",
                [],
            )
            .doing("queueing interrupted image scans")
    }

    /// Marks an image EXPIRED (out of its rescan window) and drops its resource's stored
    /// inventory, so that advisory changes no longer re-evaluate it; a push or pull queues
    /// it again.
    pub fn expire_image(&self, img: &RegistryImage) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("expiring an image")?;
        tx.execute(
            "UPDATE registry_images SET state = 'EXPIRED' WHERE registry_id = ?1 AND repository = ?2 AND digest = ?3",
            rusqlite::params![img.registry_id, img.repository, img.digest],
        )
        .doing("expiring an image")?;
        if let Some(pk) = img.resource_pk {
            tx.execute("DELETE FROM inventories WHERE resource_pk = ?1", [pk])
                .doing("expiring an image")?;
        }
        tx.commit().doing("expiring an image")
    }

    /// Writes a resource's image tags and details (an image tag moved to another digest).
    pub fn set_image_resource_tags(
        &self,
        pk: i64,
        tags: &[String],
        details: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write()
            .execute(
                "UPDATE resources SET ecr_image_tags = ?2, details = coalesce(?3, details) WHERE pk = ?1",
                rusqlite::params![pk, multi(tags), details],
            )
            .doing("writing an image's tags")?;
        Ok(())
    }
}

fn images_of_repo(
    tx: &Transaction<'_>,
    registry_id: i64,
    repository: &str,
) -> Result<Vec<RegistryImage>, StoreError> {
    let mut st = tx
        .prepare_cached(&format!(
            "SELECT {IMAGE_COLUMNS} FROM registry_images WHERE registry_id = ?1 AND repository = ?2"
        ))
        .doing("reading a repository's images")?;
    let out = st
        .query_map(rusqlite::params![registry_id, repository], image_row)
        .doing("reading a repository's images")?
        .collect::<Result<Vec<_>, _>>()
        .doing("reading a repository's images")?;
    Ok(out)
}

fn move_tag_off(
    tx: &Transaction<'_>,
    registry_id: i64,
    repository: &str,
    digest: &str,
    tag: &str,
) -> Result<Vec<RegistryImage>, StoreError> {
    let mut out = Vec::new();
    for mut img in images_of_repo(tx, registry_id, repository)? {
        if img.digest == digest || !img.tags.iter().any(|t| t == tag) {
            continue;
        }
        let rest: BTreeSet<String> = img.tags.iter().filter(|t| *t != tag).cloned().collect();
        set_tags(tx, &img, &rest)?;
        img.tags = rest.into_iter().collect();
        out.push(img);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store, MasterKey) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("scry.db")).unwrap();
        let k = MasterKey::from_hex(&"11".repeat(32), "test").unwrap();
        (dir, s, k)
    }

    fn reg(host: &str) -> NewRegistry {
        NewRegistry {
            account_id: "111122223333".into(),
            url: format!("http://{host}"),
            host: host.into(),
            insecure: true,
            username: Some("ci".into()),
            password: Some("hunter2-secret".into()),
            repositories: "*".into(),
            poll_seconds: 300,
        }
    }

    #[test]
    fn registries_are_added_found_by_token_and_removed() {
        let (_d, s, k) = store();
        let token = new_registry_token();
        assert!(token.starts_with("scryreg_") && token.len() == 8 + 64);
        let id = s
            .add_registry(&k, &reg("127.0.0.1:5000"), &token_hash(&token), 1)
            .unwrap();
        let again = s.add_registry(&k, &reg("127.0.0.1:5000"), &token_hash("other"), 2);
        assert!(
            matches!(&again, Err(StoreError::Conflict(m)) if m.contains("already watches")),
            "{again:?}"
        );
        let r = s
            .registry_by_token_hash(&token_hash(&token))
            .unwrap()
            .unwrap();
        assert_eq!((r.id, r.host.as_str()), (id, "127.0.0.1:5000"));
        assert!(s
            .registry_by_token_hash(&token_hash("wrong"))
            .unwrap()
            .is_none());
        assert_eq!(
            s.registry_password(&k, id).unwrap().as_deref(),
            Some("hunter2-secret")
        );
        // The password is sealed at rest.
        let mut raw = std::fs::read(s.path()).unwrap();
        raw.extend(std::fs::read(s.path().with_extension("db-wal")).unwrap_or_default());
        assert!(!raw.windows(14).any(|w| w == b"hunter2-secret"));
        s.record_image(id, "app", "sha256:aa", "m", Some("1"), Sighting::Push, 5)
            .unwrap();
        assert_eq!(s.remove_registry(None, "http://127.0.0.1:5000").unwrap(), 1);
        assert!(s.registries().unwrap().is_empty());
        assert!(s.registry_images(None).unwrap().is_empty());
    }

    #[test]
    fn digests_are_queued_once_and_tags_move() {
        let (_d, s, k) = store();
        let id = s.add_registry(&k, &reg("r:5000"), "h", 1).unwrap();
        let r = s
            .record_image(
                id,
                "app",
                "sha256:old",
                "m",
                Some("1.0"),
                Sighting::Push,
                10,
            )
            .unwrap();
        assert!(r.queued && r.retagged.is_empty());
        // The same digest again (pushed under a second tag): not queued again.
        let r = s
            .record_image(
                id,
                "app",
                "sha256:old",
                "m",
                Some("latest"),
                Sighting::Push,
                11,
            )
            .unwrap();
        assert!(!r.queued);
        let claimed = s.claim_image(20).unwrap().unwrap();
        assert_eq!(claimed.digest, "sha256:old");
        assert!(s.claim_image(20).unwrap().is_none(), "claimed once");
        s.finish_image(&claimed, Ok((7, 2, 0)), None, 21).unwrap();
        // A new digest under 1.0: queued; the tag leaves the old digest, which keeps `latest`.
        let r = s
            .record_image(
                id,
                "app",
                "sha256:new",
                "m",
                Some("1.0"),
                Sighting::Push,
                30,
            )
            .unwrap();
        assert!(r.queued);
        assert_eq!(r.retagged.len(), 1);
        assert_eq!(r.retagged[0].digest, "sha256:old");
        assert_eq!(r.retagged[0].tags, ["latest"]);
        assert_eq!(r.retagged[0].resource_pk, Some(7));
        // A pull moves the pull date only.
        s.record_image(id, "app", "sha256:old", "m", None, Sighting::Pull, 40)
            .unwrap();
        let imgs = s.registry_images(Some(id)).unwrap();
        let old = imgs.iter().find(|i| i.digest == "sha256:old").unwrap();
        assert_eq!((old.pushed_at, old.last_pulled_or_seen), (11, 40));
        assert_eq!(old.state, "SCANNED");
        // Expired, then pulled: queued again. Polling alone does not bring it back.
        s.expire_image(old).unwrap();
        let r = s
            .record_image(id, "app", "sha256:old", "m", None, Sighting::Poll, 50)
            .unwrap();
        assert!(!r.queued);
        let r = s
            .record_image(id, "app", "sha256:old", "m", None, Sighting::Pull, 51)
            .unwrap();
        assert!(r.queued);
        // Polling sets exact tag sets.
        let mut tags = BTreeMap::new();
        tags.insert(
            "sha256:old".to_string(),
            BTreeSet::from(["1.0".to_string()]),
        );
        let changed = s.set_repository_tags(id, "app", &tags).unwrap();
        assert_eq!(changed.len(), 2);
        // Failures are retried, then FAILED.
        let first = s.claim_image(100).unwrap().unwrap();
        assert_eq!(first.digest, "sha256:new", "oldest queued first");
        s.finish_image(&first, Ok((8, 2, 1)), None, 100).unwrap();
        let c = s.claim_image(100).unwrap().unwrap();
        s.finish_image(&c, Err("no route"), Some(200), 100).unwrap();
        assert!(s.claim_image(150).unwrap().is_none(), "not due yet");
        let c = s.claim_image(200).unwrap().unwrap();
        assert_eq!(c.attempts, 2);
        s.finish_image(&c, Err("no route"), None, 200).unwrap();
        let imgs = s.registry_images(Some(id)).unwrap();
        assert!(imgs
            .iter()
            .any(|i| i.state == "FAILED" && i.error.as_deref() == Some("no route")));
    }
}
