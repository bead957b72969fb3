//! Every scheme must be a total preorder: antisymmetric and transitive. Each pool (the
//! versions of the shared vector files plus hand-picked extras) is sorted with the scheme's
//! comparator, and then every pair is checked against the sorted blocks of equal versions.

use std::cmp::Ordering;
use std::path::PathBuf;

use scry_version::{compare, Scheme};

fn vector_versions(file: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/versions")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(Ok(v)) = scry_version::vectors::parse_line(line) {
            out.push(v.left.to_owned());
            out.push(v.right.to_owned());
        }
    }
    out
}

fn pool(scheme: Scheme) -> Vec<String> {
    let (file, extra): (Option<&str>, &[&str]) = match scheme {
        Scheme::Dpkg => (
            Some("debian-versions.txt"),
            &[
                "1.0~rc1",
                "1.0~~",
                "1.0~",
                "1.0",
                "1.0+b1",
                "1.0a",
                "1:0.1",
                "1.0-1~bpo1",
                "1.0-1+deb12u1",
                "abc",
                "1.0-a",
            ],
        ),
        Scheme::Rpm => (
            Some("redhat-versions.txt"),
            &[
                "1.0-",
                "1:1.0-1",
                "1.0~rc1-1",
                "1.0^git1-1",
                "",
                "-",
                "~",
                "^",
            ],
        ),
        Scheme::Apk => (
            Some("alpine-versions.txt"),
            &[
                "",
                "1.2~ab",
                "1.2~ab-r1",
                "1.2_p",
                "1-r1-r2",
                "1.2-r",
                "1.2__",
            ],
        ),
        Scheme::Pep440 => (
            Some("pypi-versions.txt"),
            &[
                "1.0a.",
                "1!0.1",
                "1.0+abc.5",
                "1.0+5",
                "1.0.post1.dev1",
                "1.0-foo",
                "1.0_x",
                "dev",
                "1.0+a-b_c",
            ],
        ),
        Scheme::SemVer | Scheme::Hex => (
            Some("semver-versions.txt"),
            &["1.0.0-0", "1.0.0-00", "1", "1.0", "v1.0.0+x"],
        ),
        Scheme::Pub => (
            Some("pub-versions.txt"),
            &["1.0.0+0", "1.0.0+00", "1.0.0-pre+0", "1"],
        ),
        Scheme::NuGet => (
            Some("nuget-versions.txt"),
            &[
                "1",
                "1.0.0.0-a",
                "1.0.0-A.1",
                "1.0.0-a.1",
                "1.0.0-1",
                "1.0.0-10",
            ],
        ),
        Scheme::Maven => (
            Some("maven-versions.txt"),
            &[
                "1.sp",
                "1-alpha",
                "1.0.alpha",
                "1.0.0.RC1",
                "1-0.1",
                "1.0.1",
                "1-ga.1",
                "1-sp.1",
                "1.foo",
                "1-foo",
                "",
                "-",
                ".",
                "1..1",
                "1--1",
                "1.0-0.1",
                "alpha",
                "1-1.0",
                "1-1.0.alpha",
            ],
        ),
        Scheme::RubyGems => (
            Some("rubygems-versions.txt"),
            &["", "1.0-1", "1.0.pre.1", "1-a", "0", "1.0.0.0.a", "1.a.0"],
        ),
        Scheme::Packagist => (
            Some("packagist-versions.txt"),
            &["", "1..0", "1.0.", "1.0-foo", "1.0-Beta", "v", "1.0.0-0"],
        ),
        Scheme::Hackage => (
            Some("hackage-versions.txt"),
            &["0", "0.0", "1.0.0.0", "01.0"],
        ),
        Scheme::Cran => (Some("cran-versions.txt"), &["1", "1-0", "1.0-0.0"]),
        Scheme::Go => (
            None,
            &[
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa",
                "v0.0.1",
                "v1",
                "v1.0",
                "v1.0.0",
                "1.0.0",
                "v1.0.0-rc.1",
                "v1.0.0-rc.1.0.20200101000000-aaaaaaaaaaaa",
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.3",
                "v2.0.0+incompatible",
                "v2.0.0",
                "v1.0.0-alpha",
                "v1.0.0-alpha.1",
                "v1.0.0-1",
                "v1.0.0-beta+x",
            ],
        ),
    };
    let mut out: Vec<String> = file.map(vector_versions).unwrap_or_default();
    out.extend(extra.iter().map(|s| (*s).to_owned()));
    // Only versions the scheme can order take part.
    out.retain(|v| compare(scheme, v, v).is_ok());
    if scheme == Scheme::Packagist {
        // PHP's `version_compare` equates `#` with every number: documented, not transitive.
        out.retain(|v| !v.contains('#'));
    }
    out.sort();
    out.dedup();
    out
}

fn cmp(scheme: Scheme, a: &str, b: &str) -> Ordering {
    compare(scheme, a, b).unwrap_or_else(|e| panic!("{a:?} vs {b:?}: {e}"))
}

#[test]
fn every_scheme_is_a_total_preorder() {
    for scheme in Scheme::ALL {
        let mut vs = pool(scheme);
        assert!(vs.len() > 5, "{scheme:?}: pool too small");

        for a in &vs {
            assert_eq!(
                cmp(scheme, a, a),
                Ordering::Equal,
                "{scheme:?}: {a:?} is not equal to itself"
            );
        }
        // Insertion sort: `slice::sort_by` may panic on an inconsistent order, and we want the
        // failing pair instead.
        for i in 1..vs.len() {
            let mut j = i;
            while j > 0 && cmp(scheme, &vs[j - 1], &vs[j]) == Ordering::Greater {
                vs.swap(j - 1, j);
                j -= 1;
            }
        }
        // Blocks of consecutive equal versions.
        let mut block = vec![0usize; vs.len()];
        for i in 1..vs.len() {
            block[i] =
                block[i - 1] + usize::from(cmp(scheme, &vs[i - 1], &vs[i]) != Ordering::Equal);
        }
        for i in 0..vs.len() {
            for j in 0..vs.len() {
                let want = block[i].cmp(&block[j]);
                let got = cmp(scheme, &vs[i], &vs[j]);
                assert_eq!(
                    got, want,
                    "{scheme:?}: {:?} vs {:?} gave {got:?}, but the sorted order implies {want:?} (not transitive or not antisymmetric)",
                    vs[i], vs[j]
                );
            }
        }
    }
}

/// Deterministic garbage: every scheme must answer `Ok` or `Err` without panicking.
#[test]
fn garbage_never_panics() {
    let mut inputs: Vec<String> = [
        "",
        " ",
        "\t\n",
        "-",
        ":",
        ".",
        "_",
        "+",
        "~",
        "^",
        "!",
        "#",
        "~~~",
        "1..2",
        "1--2",
        "1::2",
        "::",
        "-:-",
        "99999999999999999999999999",
        "1.99999999999999999999999999.3",
        "0:99999999999999999999999999",
        "99999999999999999999999999:1",
        "é",
        "1.é",
        "ü.1",
        "日本語",
        "1.0-日本",
        "\u{0}",
        "1\u{0}2",
        "v",
        "V",
        "vv1",
        "1!",
        "1!!1",
        "!1",
        "+1",
        "1+",
        "1-",
        "-1",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-+",
        "1-r",
        "-r",
        "_p",
        "1_",
        "1~",
        "1^",
        "a",
        "A",
        "z9",
        "9z",
        "1.0a.",
        "1.0.0.0.0.0",
        "1.0-alpha-beta-rc",
        "dev-",
        "1.2.3.#",
        "#1",
        "1-r-r-r",
        "1.0~~~~~rc",
        "1:",
        ":1",
        "1:-",
        "-1:1",
        "0x10",
        "1e10",
        "NaN",
        "∞",
        "1.0\u{301}",
        "\u{feff}1.0",
        "1 .0",
        "1. 0",
        "1.0 ",
        " 1.0",
        "1,0",
        "1;0",
        "1/0",
        "1\\0",
        "1.0+a+b",
        "1.0--",
        "1.0..",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    inputs.push("1.".repeat(5000));
    inputs.push("0.".repeat(5000) + "1");
    inputs.push("9".repeat(10_000));
    inputs.push("-".repeat(10_000));
    inputs.push("a1".repeat(5000));
    inputs.push("1-".repeat(5000) + "r1");
    inputs.push("_alpha".repeat(2000));
    inputs.push("~".repeat(10_000));
    inputs.push("é".repeat(3000));
    // Pseudo-random strings over a version-ish alphabet (xorshift, fixed seed).
    let alphabet: Vec<char> = "0123456789.-_+~^:!#abcprvxAZé ".chars().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..300 {
        let mut s = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 24) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        inputs.push(s);
    }

    for scheme in Scheme::ALL {
        for a in &inputs {
            let _ = scry_version::validate(scheme, a);
            for b in inputs.iter().step_by(13).chain([a]) {
                let ab = compare(scheme, a, b);
                let ba = compare(scheme, b, a);
                if let (Ok(x), Ok(y)) = (&ab, &ba) {
                    assert_eq!(
                        *x,
                        y.reverse(),
                        "{scheme:?}: {a:?} vs {b:?} is not antisymmetric"
                    );
                }
                assert_eq!(
                    ab.is_ok(),
                    ba.is_ok(),
                    "{scheme:?}: {a:?} vs {b:?}: only one direction failed"
                );
            }
        }
    }
}

/// Every version `validate` accepts, `compare` can order.
#[test]
fn valid_versions_compare() {
    for scheme in Scheme::ALL {
        let mut vs = pool(scheme);
        vs.extend(["1.0.0", "1.2.3-rc.1", "0", "1", "v1.2.3"].map(String::from));
        for v in &vs {
            if scry_version::validate(scheme, v).is_ok() {
                assert!(
                    compare(scheme, v, v).is_ok(),
                    "{scheme:?}: valid {v:?} does not compare"
                );
            }
        }
    }
}

struct XorShift(u64);

impl XorShift {
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

/// Random triples of mutated pool versions: antisymmetry and transitivity. Slow; run with
/// `cargo test --release -p scry-version --test order -- --ignored`.
#[test]
#[ignore = "slow randomized search"]
fn random_triples_are_consistent() {
    let pieces = [
        "0", "1", "2", "10", "00", ".", "-", "_", "+", "~", "^", ":", "a", "b", "rc", "p", "r",
        "alpha", "dev", "post", "sp", "ga", "x", "#",
    ];
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for scheme in Scheme::ALL {
        let base = pool(scheme);
        let mut vs: Vec<String> = Vec::new();
        for _ in 0..3000 {
            let mut v = base[rng.below(base.len())].clone();
            for _ in 0..rng.below(3) {
                let piece = pieces[rng.below(pieces.len())];
                let mut at = rng.below(v.len() + 1);
                while !v.is_char_boundary(at) {
                    at -= 1;
                }
                v.insert_str(at, piece);
            }
            if compare(scheme, &v, &v).is_ok() && !(scheme == Scheme::Packagist && v.contains('#'))
            {
                vs.push(v);
            }
        }
        for _ in 0..300_000 {
            let (a, b, c) = (
                &vs[rng.below(vs.len())],
                &vs[rng.below(vs.len())],
                &vs[rng.below(vs.len())],
            );
            let (ab, bc, ac) = (cmp(scheme, a, b), cmp(scheme, b, c), cmp(scheme, a, c));
            assert_eq!(
                ab,
                cmp(scheme, b, a).reverse(),
                "{scheme:?}: {a:?} vs {b:?} not antisymmetric"
            );
            if ab != Ordering::Greater && bc != Ordering::Greater {
                let want = if ab == Ordering::Equal && bc == Ordering::Equal {
                    Ordering::Equal
                } else {
                    Ordering::Less
                };
                assert_eq!(
                    ac, want,
                    "{scheme:?}: {a:?} {ab:?} {b:?} {bc:?} {c:?}, but {a:?} {ac:?} {c:?}"
                );
            }
        }
    }
}
