//! Digests and the verifying blob reader.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256, Sha512};

/// A running hash for one of the digest algorithms this crate verifies.
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A hasher for the algorithm of `digest` (`sha256:...` or `sha512:...`).
    pub(crate) fn for_digest(digest: &str) -> Option<Hasher> {
        match digest.split_once(':')?.0 {
            "sha256" => Some(Hasher::Sha256(Sha256::new())),
            "sha512" => Some(Hasher::Sha512(Sha512::new())),
            _ => None,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// `algorithm:hex` of what was hashed so far (the hasher is left as is).
    pub(crate) fn digest(&self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex::encode(h.clone().finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex::encode(h.clone().finalize())),
        }
    }
}

/// `algorithm:hex` of `data` in the algorithm of `like` (sha256 when unknown).
pub(crate) fn digest_like(like: &str, data: &[u8]) -> String {
    let mut h = Hasher::for_digest(like).unwrap_or(Hasher::Sha256(Sha256::new()));
    h.update(data);
    h.digest()
}

enum State {
    Reading,
    Verified,
    Failed(String),
}

/// A streaming reader over a blob that hashes while reading.
///
/// It yields the blob's bytes as they arrive. When the stream ends, or as soon as
/// more bytes than the descriptor's size arrive, the read fails with an
/// [`io::ErrorKind::InvalidData`] error naming the expected and actual digest, and
/// every later read fails the same way. Only a read that returns `Ok(0)` means
/// the whole blob arrived and matched. Callers that stop before the end (e.g. a
/// decompressor at its trailer) should call [`BlobReader::finish`].
pub struct BlobReader {
    inner: Box<dyn Read + Send>,
    hasher: Hasher,
    expected: String,
    size: u64,
    read: u64,
    url: String,
    state: State,
}

impl BlobReader {
    pub(crate) fn new(
        inner: Box<dyn Read + Send>,
        expected: &str,
        size: u64,
        url: String,
    ) -> Option<BlobReader> {
        Some(BlobReader {
            inner,
            hasher: Hasher::for_digest(expected)?,
            expected: expected.to_string(),
            size,
            read: 0,
            url,
            state: State::Reading,
        })
    }

    /// The digest this blob must have.
    pub fn expected_digest(&self) -> &str {
        &self.expected
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Reads and discards the rest of the blob, then reports whether it matched.
    /// Returns the blob's total size.
    pub fn finish(mut self) -> io::Result<u64> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.read)
    }

    fn fail(&mut self, msg: String) -> io::Error {
        self.state = State::Failed(msg.clone());
        io::Error::new(io::ErrorKind::InvalidData, msg)
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.state {
            State::Verified => return Ok(0),
            State::Failed(m) => return Err(io::Error::new(io::ErrorKind::InvalidData, m.clone())),
            State::Reading => {}
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // Never ask for more than one byte past the declared size.
        let room = self.size.saturating_sub(self.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("reading blob {} from {}: {e}", self.expected, self.url),
                ))
            }
        };
        if n == 0 {
            let actual = self.hasher.digest();
            if actual != self.expected || self.read != self.size {
                let msg = format!(
                    "digest mismatch for blob from {}: expected {}, actual {} ({} bytes received, descriptor says {})",
                    self.url, self.expected, actual, self.read, self.size
                );
                return Err(self.fail(msg));
            }
            self.state = State::Verified;
            return Ok(0);
        }
        self.read += n as u64;
        if self.read > self.size {
            let msg = format!(
                "digest mismatch for blob from {}: expected {} of {} bytes, but more bytes arrived (actual digest unknown)",
                self.url, self.expected, self.size
            );
            return Err(self.fail(msg));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(data: &'static [u8], expected: &str, size: u64) -> BlobReader {
        BlobReader::new(Box::new(data), expected, size, "http://r/blob".into()).unwrap()
    }
    const HELLO: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn good_blob() {
        let mut r = reader(b"hello", HELLO, 5);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello");
        assert_eq!(r.read(&mut [0u8; 4]).unwrap(), 0);
        assert_eq!(reader(b"hello", HELLO, 5).finish().unwrap(), 5);
        let sha512 = digest_like("sha512:", b"hello");
        assert_eq!(reader(b"hello", &sha512, 5).finish().unwrap(), 5);
    }

    #[test]
    fn bad_blobs() {
        let mut out = Vec::new();
        let e = reader(b"hellO", HELLO, 5)
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let m = e.to_string();
        assert!(
            m.contains(HELLO) && m.contains("actual sha256:") && m.contains("http://r/blob"),
            "{m}"
        );

        let mut r = reader(b"hello world", HELLO, 5);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("more bytes arrived"), "{e}");
        assert_eq!(r.bytes_read(), 6, "stops one byte past the size");
        // Sticky failure.
        assert_eq!(
            r.read(&mut [0u8; 8]).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );

        let e = reader(b"hell", HELLO, 5).finish().unwrap_err();
        assert!(e.to_string().contains("4 bytes received"), "{e}");
        // Same bytes, wrong size claim.
        let e = reader(b"hello", HELLO, 6).finish().unwrap_err();
        assert!(e.to_string().contains("descriptor says 6"), "{e}");
        assert!(BlobReader::new(Box::new(&b""[..]), "md5:00", 0, String::new()).is_none());
    }
}
