//! Rough timings; run with `cargo test --release -p scry-version --test perf -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use scry_version::{compare, Scheme};

fn pairs(scheme: Scheme) -> [(&'static str, &'static str); 4] {
    match scheme {
        Scheme::Dpkg => [
            ("1:2.38.1-5+deb12u1", "1:2.38.1-5+deb12u2"),
            ("3.0.11-1~deb12u2", "3.0.11-1"),
            ("7.88.1-10+deb12u5", "7.88.1-10+deb12u4"),
            ("2.36-9+deb12u4", "2.36-9"),
        ],
        Scheme::Rpm => [
            ("0:3.10.0-229.el7", "0:3.10.0-229.1.2.el7"),
            ("1.1.1k-9.el8_7", "1.1.1k-12.el8_9"),
            ("2.28-225.el9", "2.28-225.el9_3.1"),
            ("1:1.0^git1-1.fc39", "1:1.0-1.fc39"),
        ],
        Scheme::Apk => [
            ("1.2.3-r4", "1.2.3-r5"),
            ("3.1.4_p2-r1", "3.1.4-r9"),
            ("8.5.0-r0", "8.4.0-r1"),
            ("1.36.1-r2", "1.36.1_rc1-r0"),
        ],
        Scheme::Pep440 => [
            ("2.31.0", "2.32.0rc1"),
            ("1.26.18", "1.26.5"),
            ("4.0.0.dev1", "4.0.0a1"),
            ("1!2.0.post1", "1!2.0"),
        ],
        Scheme::SemVer | Scheme::Hex | Scheme::Pub => [
            ("4.17.21", "4.17.20"),
            ("1.0.0-beta.11", "1.0.0-beta.2"),
            ("2.0.0-rc.1", "2.0.0"),
            ("0.10.3", "0.9.12"),
        ],
        Scheme::Go => [
            ("v1.2.3", "v1.2.4"),
            (
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa",
            ),
            ("v2.0.0+incompatible", "v1.9.9"),
            ("v0.17.0", "v0.14.0"),
        ],
        Scheme::NuGet => [
            ("13.0.1", "13.0.3"),
            ("6.0.0-preview.7", "6.0.0"),
            ("4.3.0.0", "4.3"),
            ("1.0.0-BETA", "1.0.0-beta.1"),
        ],
        Scheme::Maven => [
            ("2.14.0", "2.13.4.2"),
            ("5.3.18", "5.3.20"),
            ("2.0.0-M1", "2.0.0"),
            ("1.0-SNAPSHOT", "1.0-alpha-1"),
        ],
        Scheme::RubyGems => [
            ("7.0.4.3", "7.0.4"),
            ("1.13.10", "1.13.6"),
            ("6.1.7.1", "7.0.0.rc1"),
            ("2.0.0.beta1", "2.0.0"),
        ],
        Scheme::Packagist => [
            ("5.4.11", "5.4.9"),
            ("v2.0.0-RC1", "2.0.0"),
            ("1.0.0-beta2", "1.0.0-alpha1"),
            ("9.52.0", "10.0.0"),
        ],
        Scheme::Hackage => [
            ("0.11.3.0", "1.0.0.0"),
            ("2.1", "2.1.0"),
            ("1.2.3", "1.2.4"),
            ("0.9", "0.10"),
        ],
        Scheme::Cran => [
            ("1.0-10", "1.0-9"),
            ("0.3.2.0", "0.3.2"),
            ("4.1-7", "4.1-7"),
            ("2.0.1", "2.1.0"),
        ],
    }
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn nanoseconds_per_compare() {
    const ROUNDS: u32 = 250_000;
    for scheme in Scheme::ALL {
        let pairs = pairs(scheme);
        let start = Instant::now();
        for _ in 0..ROUNDS {
            for (a, b) in &pairs {
                let _ = black_box(compare(black_box(scheme), black_box(a), black_box(b)));
            }
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(ROUNDS * pairs.len() as u32);
        println!("{:>10}: {ns:7.1} ns/compare", scheme.name());
    }
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn long_inputs_are_linear() {
    for scheme in Scheme::ALL {
        let mut last = 0.0;
        for n in [10_000usize, 100_000] {
            let a = "1.0-a1_".repeat(n / 7);
            let start = Instant::now();
            let _ = black_box(compare(scheme, &a, &a));
            let t = start.elapsed().as_secs_f64();
            println!("{:>10}: {n:>7} bytes in {:.3} ms", scheme.name(), t * 1e3);
            last = t;
        }
        assert!(last < 0.5, "{scheme:?} is too slow on long input");
    }
}
