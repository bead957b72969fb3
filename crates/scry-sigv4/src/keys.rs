//! Generating access key ids and secrets with the operating system's CSPRNG.

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Prefix of every access key id Scry issues (AWS uses `AKIA`/`ASIA`).
pub const ACCESS_KEY_PREFIX: &str = "SCRY";

/// A new access key id: `SCRY` + 16 base32 characters (80 random bits), 20 characters
/// in all like an AWS key id.
pub fn generate_access_key_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 10];
    getrandom::getrandom(&mut bytes)?;
    let mut out = String::with_capacity(20);
    out.push_str(ACCESS_KEY_PREFIX);
    // 10 bytes = 80 bits = 16 groups of 5 bits.
    let bits = bytes.iter().fold(0u128, |acc, &b| acc << 8 | u128::from(b));
    for i in (0..16).rev() {
        out.push(char::from(BASE32[((bits >> (i * 5)) & 31) as usize]));
    }
    Ok(out)
}

/// A new secret access key: 40 characters of base64 (`A-Z a-z 0-9 + /`) encoding
/// 30 random bytes (240 bits), the shape of an AWS secret.
pub fn generate_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 30];
    getrandom::getrandom(&mut bytes)?;
    let mut out = String::with_capacity(40);
    for chunk in bytes.chunks_exact(3) {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(BASE64[((n >> shift) & 63) as usize]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_shape() {
        let a = generate_access_key_id().unwrap();
        let b = generate_access_key_id().unwrap();
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("SCRY"));
        assert!(a[4..].bytes().all(|c| BASE32.contains(&c)), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn secret_shape() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|c| BASE64.contains(&c)), "{a}");
        assert_ne!(a, b);
    }
}
