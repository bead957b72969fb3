//! Every record of the real feeds in ../shared/vulndata imports.

use std::path::{Path, PathBuf};

use scry_feeds::{import_bytes, import_path, Record, Report};

fn vulndata(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vulndata")
        .join(rel);
    assert!(
        p.exists(),
        "{} is missing: ../shared must be beside the repository",
        p.display()
    );
    p
}

fn import(rel: &str) -> (Report, Vec<Record>) {
    let mut records = Vec::new();
    let report = import_path(&vulndata(rel), &mut |_, r| records.push(r)).unwrap();
    (report, records)
}

fn advisory<'a>(records: &'a [Record], id: &str) -> &'a scry_advisory::Advisory {
    records
        .iter()
        .find_map(|r| match r {
            Record::Advisory(a) if a.id == id => Some(&**a),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id} not imported"))
}

#[test]
fn go_vulndb() {
    let (r, recs) = import("osv-go");
    assert_eq!(r.counts.get("osv:Go"), Some(&4291), "{:?}", r.counts);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics.first());
    let a = advisory(&recs, "GO-2020-0001");
    assert_eq!(a.aliases, ["CVE-2020-36567", "GHSA-6vm3-jj99-7229"]);
    assert_eq!(a.affected[0].package.name, "github.com/gin-gonic/gin");
}

#[test]
fn pypa() {
    let (r, recs) = import("osv-pypi");
    // 2,661 advisory files (the shared README's 2,662 counts the `.id-allocator` file too,
    // which is the feed's id counter, not a record; hidden files are skipped).
    assert_eq!(r.counts.get("osv:PyPI"), Some(&2661), "{:?}", r.counts);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics.first());
    let a = advisory(&recs, "PYSEC-2021-335");
    assert_eq!(a.affected[0].ranges.len(), 2);
}

#[test]
fn rustsec() {
    let (r, recs) = import("rustsec");
    assert_eq!(r.counts.get("rustsec"), Some(&1225), "{:?}", r.counts);
    assert!(
        r.diagnostics.is_empty(),
        "{:?}",
        &r.diagnostics[..r.diagnostics.len().min(3)]
    );
    let a = advisory(&recs, "RUSTSEC-2022-0013");
    assert_eq!(a.aliases, ["CVE-2022-24713", "GHSA-m5pq-gvj9-9vr8"]);
    assert_eq!(a.summary.as_deref(), Some("Regexes with large repetitions on empty sub-expressions take a very long time to parse"));
    let ev: Vec<String> = a.affected[0].ranges[0]
        .events
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    assert_eq!(ev, ["Introduced(\"0\")", "Fixed(\"1.5.5\")"]);
    assert_eq!(
        a.severity[0].score,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    );
}

#[test]
fn alpine_secdb() {
    let (r, recs) = import("alpine-secdb");
    assert!(
        r.diagnostics.is_empty(),
        "{:?}",
        &r.diagnostics[..r.diagnostics.len().min(3)]
    );
    // 12,173 (release, repo, vulnerability) triples with a fix version other than "0", as
    // counted independently with PyYAML: for each file, each package's secfixes, each entry's
    // tokens matching ^[A-Z]+-\d after stripping punctuation.
    let got = *r.counts.get("alpine-secdb").unwrap() as usize;
    assert_eq!(got, 12_173);
    // db's whitelisted Berkeley DB CVEs (fix version "0") are not advisories.
    assert!(!recs
        .iter()
        .any(|r| matches!(r, Record::Advisory(a) if a.id == "ALPINE-v3.8-main-CVE-2016-0682")));
    let a = advisory(&recs, "ALPINE-v3.10-main-CVE-2019-10206");
    assert_eq!(a.affected[0].package.ecosystem, "Alpine:v3.10");
    assert_eq!(a.affected[0].package.name, "ansible");
}

#[test]
fn kev() {
    let (r, recs) = import("kev/known_exploited_vulnerabilities.json");
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(vulndata("kev/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(r.counts.get("kev").copied(), doc["count"].as_u64());
    let webp = recs
        .iter()
        .find_map(|r| match r {
            Record::Kev(k) if k.cve == "CVE-2023-4863" => Some(k),
            _ => None,
        })
        .unwrap();
    assert_eq!(webp.date_added.to_string(), "2023-09-13");
    assert_eq!(webp.due_date.unwrap().to_string(), "2023-10-04");
    // The KEV directory's schema.json is skipped, not reported.
    let (r, _) = import("kev");
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

#[test]
fn epss_plain_and_gzipped() {
    let csv = "#model_version:v2023.03.01,score_date:2023-03-15T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\nCVE-1999-0001,0.01,0.5\nbad,row\n";
    let mut got = Vec::new();
    let r = import_bytes("epss.csv", csv.as_bytes(), &mut |_, rec| got.push(rec)).unwrap();
    assert_eq!(r.counts.get("epss"), Some(&2));
    assert_eq!(r.diagnostics.len(), 1);
    let Record::Epss(e) = &got[0] else { panic!() };
    assert_eq!(
        (e.cve.as_str(), e.epss, e.percentile),
        ("CVE-2021-44228", 0.97565, 0.99996)
    );
    assert_eq!(e.date.unwrap().to_string(), "2023-03-15");
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let r = import_bytes("epss_scores-current.csv.gz", &gz, &mut |_, _| {}).unwrap();
    assert_eq!(r.counts.get("epss"), Some(&2));
    let r = import_bytes("epss.csv.gz", &gz[..gz.len() / 2], &mut |_, _| {}).unwrap();
    assert!(
        r.diagnostics[0].reason.contains("decompress"),
        "{:?}",
        r.diagnostics
    );
}

#[test]
fn nvd_api_page() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/nvd-cve-2021-44228.json");
    let mut got = Vec::new();
    let r = import_path(&path, &mut |_, rec| got.push(rec)).unwrap();
    assert_eq!(r.counts.get("nvd"), Some(&1), "{:?}", r.diagnostics);
    let Record::Nvd(n) = &got[0] else { panic!() };
    assert_eq!(n.id, "CVE-2021-44228");
    assert!(n.cwes.contains(&"CWE-502".to_string()), "{:?}", n.cwes);
    let m = n.metrics.iter().find(|m| m.version == "3.1").unwrap();
    assert_eq!(
        (m.vector.as_str(), m.base_score),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)
    );
    assert!(n.description.as_deref().unwrap().contains("JNDI"));
}

#[test]
fn zip_matches_directory_and_bad_members_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("all.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let mut n = 0;
    for e in std::fs::read_dir(vulndata("osv-go")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            zw.start_file(p.file_name().unwrap().to_string_lossy(), opts)
                .unwrap();
            std::io::Write::write_all(&mut zw, &std::fs::read(&p).unwrap()).unwrap();
            n += 1;
        }
    }
    zw.start_file("BROKEN.json", opts).unwrap();
    std::io::Write::write_all(&mut zw, b"{\"id\": \"X\", \"modified\": \"not a time\"}").unwrap();
    zw.start_file("../../escape.json", opts).unwrap();
    std::io::Write::write_all(&mut zw, b"[1, 2]").unwrap();
    zw.finish().unwrap();
    let r = import_path(&zpath, &mut |_, _| {}).unwrap();
    assert_eq!(r.counts.get("osv:Go"), Some(&n));
    assert_eq!(r.diagnostics.len(), 3, "{:?}", r.diagnostics);
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.location.ends_with("all.zip!BROKEN.json") && d.id.as_deref() == Some("X")));
}

#[test]
fn garbage_never_panics() {
    let samples: [&[u8]; 6] = [
        b"",
        b"\x00\xff\xfe",
        b"{",
        b"[[[[[[[[",
        b"```toml\n[advisory]\nid = 1\n```",
        b"distroversion: v3\npackages: 7",
    ];
    for name in [
        "x.json", "x.yaml", "x.md", "x.csv", "x.csv.gz", "x.zip", "x.bin",
    ] {
        for s in samples {
            let _ = import_bytes(name, s, &mut |_, _| {});
        }
    }
}
