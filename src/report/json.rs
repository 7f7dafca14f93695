//! JSON: every result as it is, with a `schema_version`.

use std::io::{self, Write};

use serde::Serialize;

/// Any result, pretty-printed, ending with a newline.
pub fn write<T: Serialize>(result: &T, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, result)?;
    writeln!(w)
}
