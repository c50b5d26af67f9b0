//! The byte-level reader and writer behind the transaction encoding.

/// Why bytes did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes end before the structure does.
    #[error("truncated")]
    Truncated,
    /// Bytes follow the end of the structure.
    #[error("trailing bytes")]
    Trailing,
    /// Wrong magic or version.
    #[error("not a version 1 CityWallet transaction")]
    BadHeader,
    /// An unknown action tag.
    #[error("unknown action {0}")]
    UnknownAction(u8),
    /// A string is not UTF-8.
    #[error("a string is not UTF-8")]
    Utf8,
    /// Over the size limit.
    #[error("too large")]
    TooLarge,
}

pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.0.extend_from_slice(v);
    }
    pub(crate) fn blob(&mut self, v: &[u8]) {
        self.0.extend_from_slice(&(v.len() as u16).to_be_bytes());
        self.0.extend_from_slice(v);
    }
    pub(crate) fn str(&mut self, v: &str) {
        self.0
            .extend_from_slice(&(v.len().min(u16::MAX as usize) as u16).to_be_bytes());
        self.0
            .extend_from_slice(&v.as_bytes()[..v.len().min(u16::MAX as usize)]);
    }
    pub(crate) fn list(&mut self, v: &[String]) {
        self.0
            .extend_from_slice(&(v.len().min(u16::MAX as usize) as u16).to_be_bytes());
        for s in v.iter().take(u16::MAX as usize) {
            self.str(s);
        }
    }
}

pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.0.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub(crate) fn blob(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.u16()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    pub(crate) fn str(&mut self) -> Result<String, DecodeError> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| DecodeError::Utf8)
    }
    pub(crate) fn list(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.u16()? as usize;
        // Each string needs at least its 2-byte length: refuse counts the bytes cannot hold.
        if n > self.0.len() / 2 {
            return Err(DecodeError::Truncated);
        }
        (0..n).map(|_| self.str()).collect()
    }
    pub(crate) fn end(&self) -> Result<(), DecodeError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing)
        }
    }
}
