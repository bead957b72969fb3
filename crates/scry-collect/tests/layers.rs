//! Image layers and hostile archives, through the public `collect` API with real catalogers
//! (dpkg, Python dist-info) on real fixture content.

use std::io::Write;
use std::path::Path;

use scry_collect::{collect, Catalog, Limits, Options, Target};

fn catalog() -> Catalog {
    let mut catalogers = scry_pkgdb::catalogers();
    catalogers.extend(scry_lockfile::catalogers());
    Catalog {
        catalogers,
        release_files: scry_pkgdb::RELEASE_FILES,
        detect_distro: scry_pkgdb::detect_distro,
        os_ecosystem: scry_pkgdb::os_package_ecosystem,
    }
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/fixtures")
            .join(rel),
    )
    .unwrap()
}

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// A tar built entry by entry; names are written raw so hostile ones stay hostile.
fn tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, data, kind, link, mode): (&str, &[u8], tar::EntryType, Option<&str>, u32) =
            match e {
                E::File(n, d) => (n, d, tar::EntryType::Regular, None, 0o644),
                E::Dir(n) => (n, b"", tar::EntryType::Directory, None, 0o755),
                E::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, Some(t), 0o777),
                E::Hardlink(n, t) => (n, b"", tar::EntryType::Link, Some(t), 0o644),
            };
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn sha(data: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(data)))
}

/// Writes an OCI image layout directory with these (already compressed or plain) layers.
fn oci_dir(dir: &Path, layers: &[Vec<u8>]) -> Vec<String> {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let put = |data: &[u8]| {
        let d = sha(data);
        std::fs::write(
            dir.join("blobs/sha256")
                .join(d.trim_start_matches("sha256:")),
            data,
        )
        .unwrap();
        d
    };
    let digests: Vec<String> = layers.iter().map(|l| put(l)).collect();
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": digests}});
    let config = serde_json::to_vec(&config).unwrap();
    let cd = put(&config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": layers.iter().zip(&digests).map(|(l, d)| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": l.len()})).collect::<Vec<_>>(),
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let md = put(&manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "test"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    digests
}

fn run(dir: &Path, limits: Limits) -> scry_collect::Collected {
    let opts = Options {
        limits,
        ..Options::default()
    };
    collect(
        &Target::OciDir(dir.to_path_buf()),
        &catalog(),
        &opts,
        &|_| {},
    )
    .unwrap()
}

fn names(c: &scry_collect::Collected) -> Vec<String> {
    c.inventory
        .packages
        .iter()
        .map(|p| format!("{} {} {}", p.name, p.version, p.location))
        .collect()
}

const METADATA_OLD: &[u8] = b"Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\n";
const METADATA_NEW: &[u8] = b"Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.1\n";

#[test]
fn layers_apply_in_order_with_whiteouts_opaque_dirs_and_provenance() {
    let status = fixture("dpkg/ubuntu-bionic.status");
    let l1 = gz(&tar(&[
        E::Dir("etc/"),
        E::File("etc/os-release", OS_RELEASE.as_bytes()),
        E::File("var/lib/dpkg/status", &status),
        E::File(
            "usr/lib/python3/site-packages/PyYAML-5.3.1.dist-info/METADATA",
            METADATA_OLD,
        ),
        E::File(
            "opt/app/gone-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: gone\nVersion: 1.0\n",
        ),
    ]));
    let l2 = gz(&tar(&[
        // Upgrade: the old dist-info directory is whited out, a new one added.
        E::File(
            "usr/lib/python3/site-packages/.wh.PyYAML-5.3.1.dist-info",
            b"",
        ),
        E::File(
            "usr/lib/python3/site-packages/PyYAML-6.0.1.dist-info/METADATA",
            METADATA_NEW,
        ),
        // The whole of opt/app is replaced.
        E::File("opt/app/.wh..wh..opq", b""),
        E::File(
            "opt/app/kept-2.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: kept\nVersion: 2.0\n",
        ),
    ]));
    let d = tempfile::tempdir().unwrap();
    let digests = oci_dir(d.path(), &[l1, l2]);
    let c = run(d.path(), Limits::default());
    let inv = &c.inventory;
    assert_eq!(
        inv.distro.as_ref().unwrap().ecosystem.as_deref(),
        Some("Debian:12")
    );
    let pyyaml: Vec<_> = inv.packages.iter().filter(|p| p.name == "PyYAML").collect();
    assert_eq!(pyyaml.len(), 1, "{:?}", names(&c));
    assert_eq!(pyyaml[0].version, "6.0.1");
    assert_eq!(pyyaml[0].layer.as_deref(), Some(digests[1].as_str()));
    assert!(
        !inv.packages.iter().any(|p| p.name == "gone"),
        "opaque dir hides earlier files"
    );
    assert!(inv
        .packages
        .iter()
        .any(|p| p.name == "kept" && p.layer.as_deref() == Some(digests[1].as_str())));
    let dpkg: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.found_by == "dpkg")
        .collect();
    assert!(
        dpkg.len() > 50,
        "the bionic status lists many packages: {}",
        dpkg.len()
    );
    assert!(dpkg
        .iter()
        .all(|p| p.layer.as_deref() == Some(digests[0].as_str())
            && p.location == "var/lib/dpkg/status"));
    assert!(
        dpkg.iter()
            .all(|p| p.ecosystem == "Debian" && p.purl.contains("distro=debian-12")),
        "{:?}",
        dpkg[0]
    );
    assert_eq!(c.image.as_ref().unwrap().layers, digests);
}

#[test]
fn hostile_entries_are_reported_and_contained() {
    let status = fixture("dpkg/ubuntu-bionic.status");
    let l1 = gz(&tar(&[
        E::File("../../../../escape/var/lib/dpkg/status", &status),
        E::File("usr/lib/os-release", OS_RELEASE.as_bytes()),
        // A link that points far outside the root resolves inside it, as in a chroot.
        E::Symlink("etc/os-release", "../../../../../../usr/lib/os-release"),
        E::Symlink("loop/a", "b"),
        E::Symlink("loop/b", "a"),
        E::File(
            "app/x-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\n",
        ),
        E::Hardlink(
            "app/y-1.0.dist-info/METADATA",
            "app/x-1.0.dist-info/METADATA",
        ),
        E::Hardlink("app/z.dist-info/METADATA", "../../outside"),
    ]));
    let d = tempfile::tempdir().unwrap();
    oci_dir(d.path(), &[l1]);
    let c = run(d.path(), Limits::default());
    let inv = &c.inventory;
    assert!(
        inv.diagnostics
            .iter()
            .any(|x| x.location.contains("escape") && x.reason.contains("above the root")),
        "{:?}",
        inv.diagnostics
    );
    assert!(
        !inv.packages.iter().any(|p| p.found_by == "dpkg"),
        "the escaping entry is not read"
    );
    assert_eq!(
        inv.distro.as_ref().unwrap().id,
        "debian",
        "symlinked os-release read inside the root"
    );
    // The hard link is the same file at a second path.
    let xs: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.name == "x")
        .map(|p| p.location.as_str())
        .collect();
    assert_eq!(
        xs,
        [
            "app/x-1.0.dist-info/METADATA",
            "app/y-1.0.dist-info/METADATA"
        ]
    );
    assert!(inv
        .diagnostics
        .iter()
        .any(|x| x.location == "app/z.dist-info/METADATA" && x.reason.contains("hard link")));
}

#[test]
fn decompression_bombs_and_truncated_layers_stop_that_layer_only() {
    let good = gz(&tar(&[E::File(
        "app/ok-1.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: ok\nVersion: 1.0\n",
    )]));
    // 64 MiB of zeros in a few tens of kilobytes.
    let zeros = vec![0u8; 64 << 20];
    let bomb = gz(&tar(&[E::File("big", &zeros)]));
    assert!(bomb.len() < 1 << 20);
    let mut truncated = gz(&tar(&[
        E::File(
            "app/late-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: late\nVersion: 1.0\n",
        ),
        E::File("filler", &vec![7u8; 1 << 20]),
    ]));
    truncated.truncate(truncated.len() / 2);
    let d = tempfile::tempdir().unwrap();
    let digests = oci_dir(d.path(), &[good, bomb, truncated]);
    let limits = Limits {
        ratio_grace: 1 << 20,
        max_ratio: 100,
        ..Limits::default()
    };
    let c = run(d.path(), limits);
    let inv = &c.inventory;
    assert!(inv.packages.iter().any(|p| p.name == "ok"));
    assert!(
        inv.diagnostics
            .iter()
            .any(|x| x.location == format!("layer {}", digests[1])
                && x.reason.contains("decompression bomb")),
        "{:?}",
        inv.diagnostics
    );
    assert!(
        inv.diagnostics
            .iter()
            .any(|x| x.location == format!("layer {}", digests[2])
                && x.reason.contains("stopped early")),
        "{:?}",
        inv.diagnostics
    );
    // Total size cap, independent of the ratio.
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    let c = run(d.path(), limits);
    assert!(
        c.inventory
            .diagnostics
            .iter()
            .any(|x| x.reason.contains("expands past")),
        "{:?}",
        c.inventory.diagnostics
    );
}

#[test]
fn oversized_files_are_reported_not_read() {
    let mut big = b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n".to_vec();
    big.resize(80 << 20, b'#');
    let l = gz(&tar(&[E::File("app/big-1.0.dist-info/METADATA", &big)]));
    let d = tempfile::tempdir().unwrap();
    oci_dir(d.path(), &[l]);
    let c = run(d.path(), Limits::default());
    assert!(c.inventory.packages.is_empty());
    assert!(c
        .inventory
        .diagnostics
        .iter()
        .any(|x| x.location == "app/big-1.0.dist-info/METADATA" && x.reason.contains("bytes")));
}

#[test]
fn zips_nest_and_refuse_traversal() {
    use zip::write::SimpleFileOptions;
    let inner = {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file(
            "python/lib/python3.12/site-packages/requests-2.25.1.dist-info/METADATA",
            SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(b"Metadata-Version: 2.1\nName: requests\nVersion: 2.25.1\n")
            .unwrap();
        z.finish().unwrap().into_inner()
    };
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("layer.zip", SimpleFileOptions::default())
        .unwrap();
    z.write_all(&inner).unwrap();
    z.start_file(
        "../evil-1.0.dist-info/METADATA",
        SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
        .unwrap();
    z.start_file("package-lock.json", SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"{ this is not json").unwrap();
    let bytes = z.finish().unwrap().into_inner();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("function.zip");
    std::fs::write(&p, bytes).unwrap();
    let c = collect(
        &Target::parse(p.to_str().unwrap()).unwrap(),
        &catalog(),
        &Options::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(c.kind, "zip");
    let req = c
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "requests")
        .expect("nested zip read");
    assert_eq!(
        req.location,
        "layer.zip!python/lib/python3.12/site-packages/requests-2.25.1.dist-info/METADATA"
    );
    assert!(!c.inventory.packages.iter().any(|p| p.name == "evil"));
    assert!(c
        .inventory
        .diagnostics
        .iter()
        .any(|x| x.location.contains("evil") && x.reason.contains("above the root")));
    assert!(
        c.inventory
            .diagnostics
            .iter()
            .any(|x| x.location.contains("package-lock.json")),
        "{:?}",
        c.inventory.diagnostics
    );
}

#[test]
fn not_an_image_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("oci-layout"), "{}").unwrap();
    let e = collect(
        &Target::OciDir(d.path().to_path_buf()),
        &catalog(),
        &Options::default(),
        &|_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("index.json"), "{e}");
    std::fs::write(
        d.path().join("index.json"),
        "{\"manifests\": [{\"digest\": \"sha256:../../etc\"}]}",
    )
    .unwrap();
    let e = collect(
        &Target::OciDir(d.path().to_path_buf()),
        &catalog(),
        &Options::default(),
        &|_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("malformed"), "{e}");
}
