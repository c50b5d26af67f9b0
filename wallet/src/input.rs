//! Input rules: every text a front end passes in is parsed here, once, with the same rule
//! for the command line and the app (dates, hex keys, presentations, CSV batches, files).

use std::path::Path;

use base64::Engine as _;

use crate::dto::DeviceIn;
use crate::error::{Error, Result};

/// Largest file read as input (credentials, presentations, challenges, key files).
pub const MAX_INPUT_BYTES: u64 = 256 * 1024;
/// Longest report description kept in the vault, bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 4096;
/// Most rows in one CSV batch.
pub const MAX_CSV_ROWS: usize = 1000;
/// Largest CSV batch.
pub const MAX_CSV_BYTES: u64 = 256 * 1024;
/// Longest recovery phrase input.
pub const MAX_PHRASE_BYTES: u64 = 4096;

/// An expiry: `YYYY-MM-DD` (the end of that day, UTC) or an RFC 3339 time; Unix seconds.
pub fn expiry(text: &str) -> Result<u64> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T23:59:59Z")
    } else {
        text.to_owned()
    };
    let t = tendermint::Time::parse_from_rfc3339(&full)
        .map_err(|_| Error::InvalidDate { what: "the expiry" })?;
    u64::try_from(t.unix_timestamp()).map_err(|_| Error::InvalidDate { what: "the expiry" })
}

/// 32 bytes of hex (a key or a hash).
pub fn hex32(text: &str, what: &'static str) -> Result<[u8; 32]> {
    hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(Error::InvalidHex { what, bytes: 32 })
}

/// A presentation as pasted or scanned: presentation JSON, or the compact form in base64.
pub fn presentation_bytes(text: &str) -> Result<Vec<u8>> {
    let text = text.trim();
    if text.starts_with('{') {
        return Ok(text.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| citywallet_core::Error::Rejected(citywallet_core::Rejection::Malformed).into())
}

/// A file read whole, refused when larger than `limit`.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    citywallet_files::read_limited(path, limit).map_err(|e| match e {
        citywallet_files::ReadError::TooLarge { limit } => Error::TooLarge {
            what: "the input file",
            limit,
        },
        citywallet_files::ReadError::Io(source) => Error::Io {
            path: path.to_owned(),
            source,
        },
    })
}

/// A service's vault passphrase (an issuer's, a verifier's): the first line of `file` when
/// given, else the environment variable `var`.
pub fn service_passphrase(
    file: Option<&Path>,
    var: &str,
) -> Result<citywallet_core::vault::Passphrase> {
    let text = match file {
        Some(p) => zeroize::Zeroizing::new(
            String::from_utf8(read_file(p, 4096)?).map_err(|_| Error::PassphraseRequired)?,
        ),
        None => zeroize::Zeroizing::new(std::env::var(var).map_err(|_| Error::PassphraseRequired)?),
    };
    Ok(citywallet_core::vault::Passphrase::new(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

/// SHA-256 of a file, read in pieces (evidence files can be large; they never leave the
/// device).
pub fn sha256_file(path: &Path) -> Result<[u8; 32]> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(Error::io(path))?;
    Ok(h.finalize().into())
}

/// A trust anchor as a city publishes it: the block at `height` has header hash `hash`, on
/// chain `chain_id` when it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The chain, when the anchor names it.
    pub chain_id: Option<String>,
    /// Height.
    pub height: u64,
    /// Header hash.
    pub hash: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnchorJson {
    chain_id: Option<String>,
    height: serde_json::Value,
    hash: String,
}

/// A review-queue cursor as [`crate::Wallet::pending_reports`] hands them out: `S.F`, the
/// positions in the log of reporters with standing and in the ring of new reporters.
pub fn report_cursor(text: &str) -> Result<citywallet_light_client::act::ReportCursor> {
    let (s, f) = text.trim().split_once('.').ok_or(Error::InvalidCursor)?;
    let n = |t: &str| {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidCursor);
        }
        t.parse::<u64>().map_err(|_| Error::InvalidCursor)
    };
    Ok(citywallet_light_client::act::ReportCursor {
        standing: n(s)?,
        fresh: n(f)?,
    })
}

/// A trust anchor from text: the JSON a city's notice or QR code carries
/// (`{"chainId": "…", "height": 1234, "hash": "…"}`, the height a number or a string), or a
/// height and a hash separated by white space.
pub fn anchor(text: &str) -> Result<Anchor> {
    let text = text.trim();
    if text.len() > 4096 {
        return Err(Error::InvalidAnchor);
    }
    let (chain_id, height, hash) = if text.starts_with('{') {
        let j: AnchorJson = serde_json::from_str(text).map_err(|_| Error::InvalidAnchor)?;
        let height = match j.height {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        };
        (j.chain_id, height, j.hash)
    } else {
        let mut parts = text.split_whitespace();
        let height = parts.next().and_then(|h| h.parse().ok());
        let hash = parts.next().unwrap_or_default().to_owned();
        if parts.next().is_some() {
            return Err(Error::InvalidAnchor);
        }
        (None, height, hash)
    };
    let height = height.filter(|h| *h > 0).ok_or(Error::InvalidAnchor)?;
    let hash = hex::decode(hash.trim())
        .ok()
        .filter(|h| h.len() == 32)
        .ok_or(Error::InvalidAnchor)?;
    Ok(Anchor {
        chain_id,
        height,
        hash,
    })
}

/// Claims as JSON text (`{"score": 742, ...}`).
pub fn claims(text: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_str(text).map_err(|_| Error::InvalidClaims)
}

/// One data line of a CSV batch: its 1-based line number and the device, or why not.
pub type CsvRow = (u32, Result<DeviceIn>);

/// The technician's batch file: `id,kind,location,department[,public_key]` with a header
/// line. Plain comma-separated values without quoting (ids, kinds and cells never contain
/// commas); each line is checked on its own so one bad row does not stop the batch.
pub fn devices_csv(csv: &str) -> Result<Vec<CsvRow>> {
    if csv.len() as u64 > MAX_CSV_BYTES {
        return Err(Error::TooLarge {
            what: "the CSV file",
            limit: MAX_CSV_BYTES,
        });
    }
    let mut lines = csv.lines().enumerate();
    let header = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.to_ascii_lowercase())
        .ok_or(Error::CsvEmpty)?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if columns.get(..4) != Some(&["id", "kind", "location", "department"][..])
        || (columns.len() == 5 && columns[4] != "public_key")
        || columns.len() > 5
    {
        return Err(Error::CsvHeader);
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() >= MAX_CSV_ROWS {
            return Err(Error::CsvTooManyRows { max: MAX_CSV_ROWS });
        }
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let row = if cells.len() < 4 || cells.len() > columns.len() {
            Err(Error::CsvRow {
                line: number,
                expected: columns.len(),
            })
        } else {
            Ok(DeviceIn {
                id: cells[0].to_owned(),
                kind: cells[1].to_owned(),
                location: cells[2].to_owned(),
                department: cells[3].to_owned(),
                public_key: cells
                    .get(4)
                    .filter(|k| !k.is_empty())
                    .map(|k| (*k).to_owned()),
                key_index: None,
            })
        };
        out.push((number, row));
    }
    Ok(out)
}

/// The first cell of `line` (1-based), for reporting a row that failed.
pub fn csv_first_cell(csv: &str, line: u32) -> String {
    csv.lines()
        .nth(line.saturating_sub(1) as usize)
        .and_then(|l| l.split(',').next())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_a_date_or_an_rfc3339_time() {
        assert_eq!(expiry("2027-01-01").expect("date"), 1_798_847_999);
        assert_eq!(expiry("2027-01-01T00:00:00Z").expect("time"), 1_798_761_600);
        for bad in ["tomorrow", "2027-13-01", "", "1969-01-01"] {
            assert_eq!(expiry(bad).expect_err(bad).code(), "invalid_date", "{bad}");
        }
    }

    #[test]
    fn rows_are_checked_one_by_one() {
        let csv = "id,kind,location,department,public_key\n\
                   aq-1,air-quality,cell-1,environment\n\
                   bad-row\n\
                   \n\
                   aq-2,air-quality,cell-2,environment,ab\n";
        let rows = devices_csv(csv).expect("parse");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.as_ref().expect("row").id, "aq-1");
        assert_eq!(rows[1].1.as_ref().expect_err("bad").code(), "csv_row");
        assert_eq!(
            rows[2].1.as_ref().expect("row").public_key.as_deref(),
            Some("ab")
        );
        assert_eq!(csv_first_cell(csv, 3), "bad-row");
    }

    #[test]
    fn a_wrong_header_or_empty_file_is_refused() {
        let code = |csv: &str| devices_csv(csv).expect_err("refused").code();
        assert_eq!(code(""), "csv_empty");
        assert_eq!(code("name,kind\n"), "csv_header");
        assert_eq!(
            code(&"x".repeat(MAX_CSV_BYTES as usize + 1)),
            "input_too_large"
        );
        let many = format!(
            "id,kind,location,department\n{}",
            "a,b,c,d\n".repeat(MAX_CSV_ROWS + 1)
        );
        assert_eq!(code(&many), "input_too_large");
    }

    #[test]
    fn an_anchor_is_the_city_s_json_or_a_height_and_a_hash() {
        let hash = "AB".repeat(32);
        let json = format!(r#"{{"chainId": "city", "height": "1234", "hash": "{hash}"}}"#);
        let a = anchor(&json).expect("json");
        assert_eq!(
            (a.chain_id.as_deref(), a.height, a.hash.len()),
            (Some("city"), 1234, 32)
        );
        assert_eq!(anchor(&format!("  77 {hash}\n")).expect("pair").height, 77);
        for bad in [
            "",
            "12",
            &format!("0 {hash}"),
            &format!("12 {hash} extra"),
            "12 abcd",
            "{}",
        ] {
            assert_eq!(
                anchor(bad).expect_err(bad).code(),
                "invalid_anchor",
                "{bad}"
            );
        }
    }

    #[test]
    fn hex_and_presentations() {
        assert!(hex32(&"ab".repeat(32), "a key").is_ok());
        assert_eq!(
            hex32("abc", "a key").expect_err("short").code(),
            "invalid_hex"
        );
        assert_eq!(
            presentation_bytes("not base64!").expect_err("bad").code(),
            "presentation_malformed"
        );
        assert_eq!(
            presentation_bytes(" {\"a\":1} ").expect("json"),
            b"{\"a\":1}"
        );
    }
}
