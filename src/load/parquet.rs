//! Parquet files (a lake's export of purchase lines, or `churn sql`'s daily table written
//! by Spark or DuckDB), read with polars: each row becomes a record like a CSV file's,
//! so everything after this module reads both the same way. A record's line number is
//! its row number plus one, as if the column names were line 1. Dates and timestamps
//! become ISO dates (a timestamp's day), decimals and numbers their shortest text,
//! nulls empty fields.

use std::io::Cursor;

use anyhow::Result;
use csv::{ByteRecord, Position};
use polars::prelude::*;

use super::workbook::Sheet;

/// Reads every row of the Parquet file in `bytes`; `file` names it in messages.
pub fn read(file: &str, bytes: Vec<u8>) -> Result<Sheet> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| anyhow::anyhow!("{file}: cannot read the Parquet file: {e}"))?;
    let headers: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let columns = frame
        .columns()
        .iter()
        .map(|c| as_text(c.as_materialized_series()))
        .collect::<PolarsResult<Vec<Series>>>()
        .map_err(|e| anyhow::anyhow!("{file}: cannot read the Parquet columns as text: {e}"))?;
    let texts = columns
        .iter()
        .map(|s| s.str().cloned())
        .collect::<PolarsResult<Vec<StringChunked>>>()
        .map_err(|e| anyhow::anyhow!("{file}: cannot read the Parquet columns as text: {e}"))?;
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let mut record = ByteRecord::new();
        for column in &texts {
            record.push_field(column.get(i).unwrap_or("").as_bytes());
        }
        let mut at = Position::new();
        at.set_line(i as u64 + 2);
        record.set_position(Some(at));
        rows.push(record);
    }
    Ok(Sheet {
        name: String::new(),
        header_line: 1,
        headers,
        rows,
    })
}

/// A column as text: a timestamp as its day, a decimal as a float first.
fn as_text(s: &Series) -> PolarsResult<Series> {
    let s = match s.dtype() {
        DataType::Datetime(_, _) => s.cast(&DataType::Date)?,
        DataType::Decimal(_, _) => s.cast(&DataType::Float64)?,
        _ => s.clone(),
    };
    s.cast(&DataType::String)
}
