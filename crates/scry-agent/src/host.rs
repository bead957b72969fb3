//! Facts about the running host, read from `/proc` and `/etc`: identity (machine id and the
//! resource id derived from it), hostname, kernel, addresses, and listening sockets with the
//! processes holding them. Everything here tolerates what an unprivileged agent cannot read:
//! a process whose file descriptors are hidden simply is not named.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use scry_wire::native::{ListeningSocket, SocketProcess};
use sha2::{Digest, Sha256};

use crate::AgentError;

/// The machine id of the host at `root` (`etc/machine-id`, else `var/lib/dbus/machine-id`).
pub fn machine_id(root: &Path) -> Result<String, AgentError> {
    let candidates = ["etc/machine-id", "var/lib/dbus/machine-id"];
    for c in candidates {
        if let Ok(s) = std::fs::read_to_string(root.join(c)) {
            let id = s.trim().to_ascii_lowercase();
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(id);
            }
        }
    }
    Err(AgentError::Identity(format!(
        "no machine id in {}/etc/machine-id or {}/var/lib/dbus/machine-id (32 hex digits); create one with `systemd-machine-id-setup` or `dbus-uuidgen --ensure`",
        root.display(),
        root.display()
    )))
}

/// The host's resource id: `i-` and 17 hex digits of a hash of the machine id, shaped like
/// an EC2 instance id and stable for as long as the machine id is.
pub fn resource_id(machine_id: &str) -> String {
    let h = Sha256::digest(format!("scry-host\0{machine_id}").as_bytes());
    format!("i-{}", &hex::encode(h)[..17])
}

fn read_trim(p: &str) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub fn hostname() -> Option<String> {
    read_trim("/proc/sys/kernel/hostname").or_else(|| read_trim("/etc/hostname"))
}

/// The running kernel's release (`uname -r`).
pub fn kernel() -> Option<String> {
    read_trim("/proc/sys/kernel/osrelease")
}

/// Non-loopback, non-link-local interface addresses: IPv4 from `/proc/net/fib_trie`'s local
/// host routes, IPv6 from `/proc/net/if_inet6`.
pub fn addresses() -> Vec<String> {
    let mut out = BTreeSet::new();
    if let Ok(t) = std::fs::read_to_string("/proc/net/fib_trie") {
        out.extend(local_ipv4(&t).into_iter().map(|a| a.to_string()));
    }
    if let Ok(t) = std::fs::read_to_string("/proc/net/if_inet6") {
        for line in t.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 {
                continue;
            }
            let Some(a) = parse_ipv6_plain(f[0]) else {
                continue;
            };
            if !a.is_loopback() && (a.segments()[0] & 0xffc0) != 0xfe80 {
                out.insert(a.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// The addresses of `/32 host LOCAL` entries in a `fib_trie` dump, minus loopback.
fn local_ipv4(trie: &str) -> Vec<Ipv4Addr> {
    let mut out = BTreeSet::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in trie.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("|-- ") {
            last = rest.trim().parse().ok();
        } else if t.contains("/32 host LOCAL") {
            if let Some(a) = last.filter(|a| !a.is_loopback()) {
                out.insert(a);
            }
        }
    }
    out.into_iter().collect()
}

/// `if_inet6`'s 32 hex digits in network order.
fn parse_ipv6_plain(hex: &str) -> Option<Ipv6Addr> {
    if hex.len() != 32 {
        return None;
    }
    let v = u128::from_str_radix(hex, 16).ok()?;
    Some(Ipv6Addr::from(v))
}

/// `/proc/net/tcp6`'s address: four 32-bit words, each printed in host byte order.
fn parse_proc_ipv6(hex: &str) -> Option<Ipv6Addr> {
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for i in 0..4 {
        let w = u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok()?;
        bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
    }
    Some(Ipv6Addr::from(bytes))
}

fn parse_proc_ipv4(hex: &str) -> Option<Ipv4Addr> {
    let w = u32::from_str_radix(hex, 16).ok()?;
    Some(Ipv4Addr::from(w.to_ne_bytes()))
}

/// One socket line of `/proc/net/{tcp,udp}{,6}` that is listening (TCP `LISTEN`) or bound
/// and unconnected (UDP): (address, port, inode).
fn parse_socket_line(line: &str, v6: bool, udp: bool) -> Option<(String, u16, u64)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 10 {
        return None;
    }
    let (laddr, lport) = f[1].split_once(':')?;
    let (_, rport) = f[2].split_once(':')?;
    let state = u8::from_str_radix(f[3], 16).ok()?;
    let listening = if udp {
        state == 0x07 && rport == "0000"
    } else {
        state == 0x0A
    };
    if !listening {
        return None;
    }
    let port = u16::from_str_radix(lport, 16).ok()?;
    let addr = if v6 {
        let a = parse_proc_ipv6(laddr)?;
        // An IPv4-mapped address is the IPv4 socket it stands for.
        match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => a.to_string(),
        }
    } else {
        parse_proc_ipv4(laddr)?.to_string()
    };
    let inode = f[9].parse().ok()?;
    Some((addr, port, inode))
}

/// Listening TCP sockets and bound UDP sockets, with the processes holding them (as far as
/// this process may look into `/proc/<pid>/fd`). `None` when no socket table is readable.
pub fn listening_sockets(proc_root: &Path) -> Option<Vec<ListeningSocket>> {
    let mut found: BTreeMap<(String, String, u16), BTreeSet<u64>> = BTreeMap::new();
    let mut any = false;
    for (file, proto, v6, udp) in [
        ("net/tcp", "TCP", false, false),
        ("net/tcp6", "TCP", true, false),
        ("net/udp", "UDP", false, true),
        ("net/udp6", "UDP", true, true),
    ] {
        let Ok(text) = std::fs::read_to_string(proc_root.join(file)) else {
            continue;
        };
        any = true;
        for line in text.lines().skip(1) {
            if let Some((addr, port, inode)) = parse_socket_line(line, v6, udp) {
                found
                    .entry((proto.to_string(), addr, port))
                    .or_default()
                    .insert(inode);
            }
        }
    }
    if !any {
        return None;
    }
    let wanted: BTreeSet<u64> = found.values().flatten().copied().collect();
    let owners = socket_owners(proc_root, &wanted);
    Some(
        found
            .into_iter()
            .map(|((protocol, address, port), inodes)| {
                let mut processes: Vec<SocketProcess> = inodes
                    .iter()
                    .filter_map(|i| owners.get(i))
                    .flatten()
                    .cloned()
                    .collect();
                processes.sort();
                processes.dedup();
                ListeningSocket {
                    protocol,
                    address,
                    port,
                    processes,
                }
            })
            .collect(),
    )
}

/// Which processes hold which of `wanted` socket inodes. Processes whose `fd` directory this
/// agent may not read are skipped.
fn socket_owners(proc_root: &Path, wanted: &BTreeSet<u64>) -> HashMap<u64, Vec<SocketProcess>> {
    let mut out: HashMap<u64, Vec<SocketProcess>> = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    let Ok(rd) = std::fs::read_dir(proc_root) else {
        return out;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        let mut comm: Option<String> = None;
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let link = link.to_string_lossy();
            let Some(inode) = link
                .strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse::<u64>().ok())
            else {
                continue;
            };
            if !wanted.contains(&inode) {
                continue;
            }
            let comm = comm.get_or_insert_with(|| {
                std::fs::read_to_string(e.path().join("comm"))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| "?".into())
            });
            out.entry(inode).or_default().push(SocketProcess {
                pid,
                name: comm.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_id_is_ec2_shaped_and_stable() {
        let id = resource_id("0123456789abcdef0123456789abcdef");
        assert_eq!(id.len(), 19);
        assert!(id.starts_with("i-"));
        assert_eq!(id, resource_id("0123456789abcdef0123456789abcdef"));
        assert_ne!(id, resource_id("0123456789abcdef0123456789abcdee"));
    }

    #[test]
    fn proc_net_lines() {
        // Real lines from /proc/net/tcp, tcp6 and udp (x86_64, little-endian).
        let tcp = "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21544 1 0000000000000000 100 0 0 10 0";
        let lo = "   1: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21600 1 0000000000000000 100 0 0 10 0";
        let est = "   2: 0F02000A:0016 0202000A:D5B4 01 00000000:00000000 02:0009E36D 00000000     0        0 30321 4 0000000000000000 20 4 29 10 -1";
        let tcp6 = "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21546 1 0000000000000000 100 0 0 10 0";
        let lo6 = "   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21601 1 0000000000000000 100 0 0 10 0";
        let udp = "  983: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19221 2 0000000000000000 0";
        if cfg!(target_endian = "little") {
            assert_eq!(
                parse_socket_line(tcp, false, false),
                Some(("0.0.0.0".into(), 22, 21544))
            );
            assert_eq!(
                parse_socket_line(lo, false, false),
                Some(("127.0.0.1".into(), 631, 21600))
            );
            assert_eq!(parse_socket_line(est, false, false), None);
            assert_eq!(
                parse_socket_line(tcp6, true, false),
                Some(("::".into(), 22, 21546))
            );
            assert_eq!(
                parse_socket_line(lo6, true, false),
                Some(("::1".into(), 631, 21601))
            );
            assert_eq!(
                parse_socket_line(udp, false, true),
                Some(("0.0.0.0".into(), 68, 19221))
            );
            // A TCP LISTEN line is not a bound UDP socket and the reverse.
            assert_eq!(parse_socket_line(udp, false, false), None);
        }
    }

    #[test]
    fn fib_trie_local_addresses() {
        let trie = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 10.0.2.0/24 2 0 2\n        |-- 10.0.2.0\n           /24 link UNICAST\n        |-- 10.0.2.15\n           /32 host LOCAL\n  +-- 127.0.0.0/8 2 0 2\n     |-- 127.0.0.1\n        /32 host LOCAL\nLocal:\n        |-- 10.0.2.15\n           /32 host LOCAL\n";
        assert_eq!(local_ipv4(trie), vec![Ipv4Addr::new(10, 0, 2, 15)]);
    }

    #[test]
    fn own_listener_is_seen_with_this_process() {
        let l = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let socks = listening_sockets(Path::new("/proc")).expect("/proc/net is readable");
        let me = std::process::id();
        let s = socks
            .iter()
            .find(|s| s.protocol == "TCP" && s.port == port)
            .unwrap_or_else(|| panic!("port {port} not in {socks:?}"));
        assert_eq!(s.address, "0.0.0.0");
        assert!(s.processes.iter().any(|p| p.pid == me), "{s:?}");
    }
}
