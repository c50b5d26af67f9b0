//! The technician's batch file: `id,kind,location,department[,public_key]` with a header
//! line. Plain comma-separated values without quoting (ids, kinds and cells never contain
//! commas); each line is checked on its own so one bad row does not stop the batch.

use crate::dto::{AppError, DeviceIn};
use crate::error::{AppResult, fail};

/// Most rows in one batch.
pub const MAX_ROWS: usize = 1000;
/// Largest batch file.
pub const MAX_BYTES: usize = 256 * 1024;

/// Each data line with its 1-based line number and the device it describes or why not.
pub fn parse_devices(csv: &str) -> AppResult<Vec<(u32, Result<DeviceIn, AppError>)>> {
    if csv.len() > MAX_BYTES {
        return Err(fail(
            "input_too_large",
            "the CSV file is larger than 256 KiB",
        ));
    }
    let mut lines = csv.lines().enumerate();
    let header = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.to_ascii_lowercase())
        .ok_or_else(|| fail("csv_empty", "the CSV file is empty"))?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if columns.get(..4) != Some(&["id", "kind", "location", "department"][..])
        || (columns.len() == 5 && columns[4] != "public_key")
        || columns.len() > 5
    {
        return Err(fail(
            "csv_header",
            "the first line must be: id,kind,location,department[,public_key]",
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() >= MAX_ROWS {
            return Err(fail("input_too_large", "a batch has at most 1000 devices"));
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let row = if cells.len() < 4 || cells.len() > columns.len() {
            Err(fail(
                "csv_row",
                format!("line {}: expected {} cells", i + 1, columns.len()),
            ))
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
            })
        };
        out.push(((i + 1) as u32, row));
    }
    Ok(out)
}

/// The first cell of `line` (1-based), for reporting a row that failed.
pub fn id_of_line(csv: &str, line: u32) -> String {
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
    fn rows_are_checked_one_by_one() {
        let csv = "id,kind,location,department,public_key\n\
                   aq-1,air-quality,cell-1,environment\n\
                   bad-row\n\
                   \n\
                   aq-2,air-quality,cell-2,environment,ab\n";
        let rows = parse_devices(csv).expect("parse");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.as_ref().expect("row").id, "aq-1");
        assert_eq!(rows[1].1.as_ref().expect_err("bad").code, "csv_row");
        assert_eq!(
            rows[2].1.as_ref().expect("row").public_key.as_deref(),
            Some("ab")
        );
        assert_eq!(id_of_line(csv, 3), "bad-row");
    }

    #[test]
    fn a_wrong_header_or_empty_file_is_refused() {
        assert_eq!(parse_devices("").expect_err("empty").code, "csv_empty");
        assert_eq!(
            parse_devices("name,kind\n").expect_err("header").code,
            "csv_header"
        );
        let big = "x".repeat(MAX_BYTES + 1);
        assert_eq!(
            parse_devices(&big).expect_err("big").code,
            "input_too_large"
        );
    }
}
