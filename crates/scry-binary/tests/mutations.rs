//! Every cataloger on damaged copies of the real fixtures: bytes overwritten in the regions
//! the parsers read (headers, build information, section tables, zip directories) and
//! truncations. Nothing may panic; a damaged copy yields at most what the intact one does
//! plus diagnostics.

use scry_binary::catalogers;
use scry_inventory::FileInfo;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/fixtures"
);

/// xorshift64: a fixed sequence, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn run(path: &str, bytes: &[u8]) -> usize {
    let info = FileInfo {
        path,
        size: bytes.len() as u64,
        executable: true,
    };
    let mut n = 0;
    for c in catalogers() {
        if c.wants(&info) {
            let parsed = c.parse(&info, bytes);
            n += parsed.packages.len();
        }
    }
    n
}

#[test]
fn damaged_fixtures_do_not_panic() {
    // (fixture, name to scan it as, regions worth damaging as (start, len))
    type Case = (&'static str, &'static str, &'static [(usize, usize)]);
    let cases: [Case; 6] = [
        (
            "go/trivy-test.elf",
            "bin/a",
            &[
                (0, 64),
                (0x19e000, 32),
                (0x1aed60, 0x80),
                (0x27a000, 0x1bc0),
            ],
        ),
        (
            "go/module-replacement-linux-amd64",
            "bin/b",
            &[(0, 64), (0x13a000, 0x280)],
        ),
        (
            "rust/cargo-auditable-uses_serde_json",
            "bin/c",
            &[(0, 64), (0x6b0c1, 0xed)],
        ),
        (
            "rust/trivy-auditable.elf",
            "bin/d",
            &[(0, 64), (0x4f523, 0x76)],
        ),
        ("java/maven.war", "x/maven.war", &[]),
        ("java/guava-31.1-jre.jar", "x/guava-31.1-jre.jar", &[]),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (rel, name, regions) in cases {
        let orig = std::fs::read(format!("{FIXTURES}/{rel}")).unwrap();
        let intact = run(name, &orig);
        assert!(intact > 0 || rel.contains("trivy-auditable"), "{rel}");
        let mut regions = regions.to_vec();
        // The tail holds ELF section tables and zip central directories.
        let tail = orig.len().min(64 << 10);
        regions.push((orig.len() - tail, tail));
        for round in 0..60 {
            let mut b = orig.clone();
            let (start, len) = regions[round % regions.len()];
            for _ in 0..1 + rng.below(8) {
                let at = start + rng.below(len.min(b.len() - start));
                b[at] = rng.next() as u8;
            }
            if round % 4 == 3 {
                b.truncate(rng.below(b.len()));
            }
            let got = run(name, &b);
            assert!(got <= intact, "{rel} round {round}: {got} > {intact}");
        }
    }
}
