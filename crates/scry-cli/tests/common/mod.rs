//! What the tests that run real `scry server` processes share: the fixtures beside the
//! repository, running `scry`, starting a server on a port it reports, and making keys.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};

/// A file or directory of `../shared` (the fixtures beside the repository).
pub fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

/// `scry ARGS` with the variables that would point it elsewhere removed, whatever its exit.
pub fn scry_raw(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scry"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("SCRY_DB")
        .env_remove("SCRY_SERVER")
        .env_remove("SCRY_AGENT_TOKEN")
        .output()
        .expect("scry runs")
}

/// `scry ARGS`, which must succeed.
pub fn scry(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = scry_raw(args, env);
    assert!(
        out.status.success(),
        "scry {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A child process killed when the test ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `scry server` (`cmd` holds the binary and its arguments), waits for the address it
/// listens on, and returns it with its URL and the rest of its log.
pub fn start_server(cmd: &mut Command) -> (Killed, String, Lines<BufReader<ChildStderr>>) {
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("scry server starts");
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let child = Killed(child);
    let url = loop {
        let line = lines
            .next()
            .expect("scry server printed its address")
            .unwrap();
        if let Some(u) = line.strip_prefix("scry server listening on ") {
            break u.trim().to_string();
        }
    };
    (child, url, lines)
}

/// [`start_server`], with the log drained so the server never blocks on a full pipe.
pub fn start_server_quietly(cmd: &mut Command) -> (Killed, String) {
    let (child, url, lines) = start_server(cmd);
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// `scry server` on a free loopback port over `data` and `db`, polling the database every
/// second, with `extra` arguments.
pub fn server_command(data: &Path, db: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scry"));
    cmd.args(["server", "--listen", "127.0.0.1:0", "--poll-seconds", "1"])
        .args(extra)
        .arg("--data-dir")
        .arg(data)
        .arg("--db")
        .arg(db);
    cmd
}

/// A new access key (id, secret) of `account` with `role`, made by `scry keys create`.
pub fn key(data: &Path, account: &str, role: &str) -> (String, String) {
    let out = scry(
        &[
            "keys",
            "create",
            "--account",
            account,
            "--role",
            role,
            "--format",
            "json",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["accessKeyId"].as_str().unwrap().to_string(),
        v["secretAccessKey"].as_str().unwrap().to_string(),
    )
}

/// Whether a program is on the PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a shell command, which must succeed; its standard output.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
