//! Two versions from one input (split at the first newline, else in the middle), compared
//! under every scheme: never a panic, `compare(a, b)` is the reverse of `compare(b, a)`, both
//! fail or neither does, and every version equals itself.

#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use scry_version::{compare, validate, Scheme};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = match text.split_once('\n') {
        Some(pair) => pair,
        None => {
            let mut mid = text.len() / 2;
            while !text.is_char_boundary(mid) {
                mid -= 1;
            }
            text.split_at(mid)
        }
    };
    for scheme in Scheme::ALL {
        let _ = validate(scheme, a);
        let ab = compare(scheme, a, b);
        let ba = compare(scheme, b, a);
        assert_eq!(ab.is_ok(), ba.is_ok(), "{scheme:?}: {a:?} / {b:?}: only one direction failed");
        if let (Ok(x), Ok(y)) = (&ab, &ba) {
            assert_eq!(*x, y.reverse(), "{scheme:?}: {a:?} vs {b:?} is not antisymmetric");
        }
        if let Ok(same) = compare(scheme, a, a) {
            assert_eq!(same, Ordering::Equal, "{scheme:?}: {a:?} is not equal to itself");
        }
    }
});
