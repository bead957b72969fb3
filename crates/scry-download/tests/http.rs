//! The downloader against a real HTTP server on 127.0.0.1 (a small one written here, so each
//! test controls exactly what the server answers and sees what the client sent).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scry_download::{update, Config};

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

/// Serve requests with `handler(path_and_query, headers) -> (status, extra headers, body)`.
fn serve(
    handler: impl Fn(&str, &str) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + 'static,
) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut headers = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                headers.push_str(&line);
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            log.0.lock().unwrap().push(format!("{path}\n{headers}"));
            let (status, extra, body) = handler(&path, &headers.to_ascii_lowercase());
            let mut resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in extra {
                resp.push_str(&format!("{k}: {v}\r\n"));
            }
            resp.push_str("\r\n");
            let _ = s.write_all(resp.as_bytes());
            let _ = s.write_all(&body);
            let _ = s.flush();
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    (addr, seen)
}

fn config(dir: &std::path::Path, base: &str) -> Config {
    let mut c = Config::with_defaults(dir.to_path_buf());
    c.osv_base = base.into();
    c.osv_ecosystems = vec!["PyPI".into()];
    c.kev_url = format!("{base}/kev.json");
    c.epss_url = format!("{base}/epss.csv.gz");
    c.include_nvd = false;
    c.backoff = Duration::from_millis(10);
    c.nvd_page_delay = Duration::ZERO;
    c
}

#[test]
fn downloads_then_reuses_on_304() {
    let (base, seen) = serve(|path, headers| {
        if headers.contains("if-none-match: \"v1\"") {
            return (304, vec![], vec![]);
        }
        (
            200,
            vec![("ETag".into(), "\"v1\"".into())],
            format!("content of {path}").into_bytes(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (ok, failed) = update(&config(dir.path(), &base));
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(ok.len(), 3);
    assert!(ok.iter().all(|d| d.changed));
    let pypi = ok.iter().find(|d| d.source == "osv:PyPI").unwrap();
    assert_eq!(
        std::fs::read_to_string(&pypi.path).unwrap(),
        "content of /PyPI/all.zip"
    );
    let (ok, failed) = update(&config(dir.path(), &base));
    assert!(failed.is_empty());
    assert!(ok.iter().all(|d| !d.changed), "{ok:?}");
    assert!(
        seen.0
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.contains("if-none-match"))
            .count()
            == 3
    );
}

#[test]
fn resumes_a_partial_download_with_range() {
    let full: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let body = full.clone();
    let (base, seen) = serve(move |_, headers| {
        if let Some(r) = headers
            .lines()
            .find_map(|l| l.strip_prefix("range: bytes="))
        {
            let from: usize = r.trim().trim_end_matches('-').parse().unwrap();
            return (206, vec![], body[from..].to_vec());
        }
        (200, vec![], body.clone())
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), &base);
    c.osv_ecosystems.clear();
    std::fs::write(dir.path().join("kev.json.part"), &full[..40_000]).unwrap();
    let (ok, failed) = update(&c);
    assert!(failed.is_empty(), "{failed:?}");
    let kev = ok.iter().find(|d| d.source == "kev").unwrap();
    assert_eq!(std::fs::read(&kev.path).unwrap(), full);
    assert!(seen
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.starts_with("/kev.json") && r.contains("bytes=40000-")));
    assert!(!dir.path().join("kev.json.part").exists());
}

#[test]
fn a_server_that_ignores_range_restarts_from_zero() {
    let (base, _) = serve(|_, _| (200, vec![], b"whole file".to_vec()));
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), &base);
    c.osv_ecosystems.clear();
    std::fs::write(dir.path().join("kev.json.part"), b"stale partial bytes").unwrap();
    let (ok, _) = update(&c);
    let kev = ok.iter().find(|d| d.source == "kev").unwrap();
    assert_eq!(std::fs::read(&kev.path).unwrap(), b"whole file");
}

#[test]
fn retries_server_errors_and_isolates_failing_sources() {
    let count = Arc::new(Mutex::new(0));
    let c2 = count.clone();
    let (base, _) = serve(move |path, _| {
        if path.starts_with("/kev") {
            let mut n = c2.lock().unwrap();
            *n += 1;
            return if *n == 1 {
                (503, vec![], vec![])
            } else {
                (200, vec![], b"kev".to_vec())
            };
        }
        if path.starts_with("/epss") {
            return (500, vec![], vec![]);
        }
        (200, vec![], b"zip".to_vec())
    });
    let dir = tempfile::tempdir().unwrap();
    let (ok, failed) = update(&config(dir.path(), &base));
    assert!(ok.iter().any(|d| d.source == "kev"));
    assert!(ok.iter().any(|d| d.source == "osv:PyPI"));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "epss");
    assert!(failed[0].1.to_string().contains("HTTP 500"));
}

#[test]
fn unreachable_host_points_at_db_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), "http://127.0.0.1:9");
    c.kev_url = "http://127.0.0.1:9/kev.json".into();
    c.epss_url = "http://127.0.0.1:9/epss.csv.gz".into();
    c.attempts = 1;
    let (ok, failed) = update(&c);
    assert!(ok.is_empty());
    assert_eq!(failed.len(), 3);
    for (_, e) in failed {
        assert!(e.to_string().contains("scry db import"), "{e}");
    }
}

#[test]
fn nvd_pages_then_asks_only_for_changes() {
    let (base, seen) = serve(|path, _| {
        let start: u64 = path
            .split("startIndex=")
            .nth(1)
            .and_then(|s| s.split('&').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let items: Vec<serde_json::Value> = (start..(start + 2).min(3))
            .map(|i| serde_json::json!({"cve": {"id": format!("CVE-2024-000{i}")}}))
            .collect();
        let page = serde_json::json!({"resultsPerPage": 2, "startIndex": start, "totalResults": 3, "format": "NVD_CVE", "version": "2.0", "vulnerabilities": items});
        (200, vec![], serde_json::to_vec(&page).unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), &base);
    c.osv_ecosystems.clear();
    c.include_nvd = true;
    c.nvd_url = format!("{base}/nvd");
    let (ok, failed) = update(&c);
    assert!(failed.iter().all(|(s, _)| s != "nvd"), "{failed:?}");
    assert_eq!(ok.iter().filter(|d| d.source == "nvd").count(), 2);
    let first: Vec<String> = seen
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("/nvd"))
        .cloned()
        .collect();
    assert!(
        first[0].contains("startIndex=0") && first[1].contains("startIndex=2"),
        "{first:?}"
    );
    assert!(!first[0].contains("lastModStartDate"));
    update(&c);
    let all: Vec<String> = seen
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("/nvd"))
        .cloned()
        .collect();
    assert!(all[2].contains("lastModStartDate="), "{:?}", all[2]);
}
