//! The merged view of a file system that is being collected: only what matters is kept.
//!
//! Nothing is unpacked to disk. For every file a cataloger wants, the file is parsed as soon as
//! it is read and only the packages it yields are kept; release files (os-release and friends)
//! are kept as bytes; symlinks are kept as their resolved targets. Image layers are applied in
//! order: each layer's changes are gathered, then its whiteouts and opaque directories remove
//! what earlier layers put there, then its own files replace earlier ones.

use std::collections::BTreeMap;

use scry_inventory::{Diagnostic, Package};
use serde::{Deserialize, Serialize};

use crate::path;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Node {
    /// A file that was parsed by catalogers (packages may be empty) and/or kept as bytes.
    File {
        packages: Vec<Package>,
        /// Kept only for release files (small).
        bytes: Option<Vec<u8>>,
    },
    Symlink(String),
}

#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub nodes: BTreeMap<String, Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The changes one layer makes, applied all at once when the layer has been read.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub added: BTreeMap<String, Node>,
    /// Paths removed by a whiteout (with everything below them).
    pub whiteouts: Vec<String>,
    /// Directories whose earlier contents an opaque whiteout hides.
    pub opaque: Vec<String>,
    /// Paths replaced by something not kept (a plain file, a directory): earlier nodes go.
    pub replaced: Vec<String>,
}

impl Tree {
    pub fn apply(&mut self, changes: Changes) {
        for dir in &changes.opaque {
            self.remove_below(dir);
        }
        for p in changes.whiteouts.iter().chain(&changes.replaced) {
            self.nodes.remove(p);
            self.remove_below(p);
        }
        for (p, node) in changes.added {
            // A file replacing a directory hides that directory's contents.
            self.remove_below(&p);
            self.nodes.insert(p, node);
        }
    }

    fn remove_below(&mut self, dir: &str) {
        if dir.is_empty() {
            self.nodes.clear();
            return;
        }
        let prefix = format!("{dir}/");
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    /// Reads a kept file, following symlinks inside the tree (at most 40, as the kernel does).
    pub fn read(&self, p: &str) -> Option<Vec<u8>> {
        let mut cur = path::normalize(p).ok()?;
        for _ in 0..40 {
            match self.nodes.get(&cur) {
                Some(Node::File { bytes, .. }) => return bytes.clone(),
                Some(Node::Symlink(target)) => cur = target.clone(),
                None => {
                    // A symlinked parent directory (`etc -> private/etc`): resolve it.
                    let resolved = self.resolve_parent(&cur)?;
                    if resolved == cur {
                        return None;
                    }
                    cur = resolved;
                }
            }
        }
        None
    }

    fn resolve_parent(&self, p: &str) -> Option<String> {
        let mut prefix = String::new();
        let comps: Vec<&str> = p.split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(c);
            if i + 1 < comps.len() {
                if let Some(Node::Symlink(t)) = self.nodes.get(&prefix) {
                    let rest = comps[i + 1..].join("/");
                    return Some(if t.is_empty() {
                        rest
                    } else {
                        format!("{t}/{rest}")
                    });
                }
            }
        }
        Some(p.to_string())
    }

    /// Every package, in path order.
    pub fn packages(&self) -> Vec<Package> {
        let mut out = Vec::new();
        for node in self.nodes.values() {
            if let Node::File { packages, .. } = node {
                out.extend(packages.iter().cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(b: &str) -> Node {
        Node::File {
            packages: Vec::new(),
            bytes: Some(b.as_bytes().to_vec()),
        }
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let mut t = Tree::default();
        let mut c = Changes::default();
        c.added.insert("a/x".into(), file("1"));
        c.added.insert("a/y".into(), file("2"));
        c.added.insert("b/z".into(), file("3"));
        c.added.insert("ab".into(), file("4"));
        t.apply(c);
        let mut c = Changes::default();
        c.opaque.push("a".into());
        c.added.insert("a/new".into(), file("5"));
        c.whiteouts.push("b".into());
        t.apply(c);
        let keys: Vec<_> = t.nodes.keys().cloned().collect();
        assert_eq!(keys, ["a/new", "ab"]);
    }

    #[test]
    fn reads_through_symlinks_and_stops_on_loops() {
        let mut t = Tree::default();
        let mut c = Changes::default();
        c.added
            .insert("usr/lib/os-release".into(), file("ID=debian"));
        c.added.insert(
            "etc/os-release".into(),
            Node::Symlink("usr/lib/os-release".into()),
        );
        c.added
            .insert("loop/a".into(), Node::Symlink("loop/b".into()));
        c.added
            .insert("loop/b".into(), Node::Symlink("loop/a".into()));
        c.added.insert("lnk".into(), Node::Symlink("usr".into()));
        t.apply(c);
        assert_eq!(t.read("etc/os-release").unwrap(), b"ID=debian");
        assert_eq!(t.read("lnk/lib/os-release").unwrap(), b"ID=debian");
        assert_eq!(t.read("loop/a"), None);
        assert_eq!(t.read("missing"), None);
    }
}
