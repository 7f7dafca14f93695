//! JSON: the summary and every customer, with a `schema_version`.

use std::io::{self, Write};

use super::ScanReport;

pub fn scan(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    writeln!(w)
}
