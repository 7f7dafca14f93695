//! Opening an input: a path or `-` for standard input, gzip transparently, and the
//! character encoding, so everything after this module reads UTF-8.
//!
//! This is the only code that opens data files (STYLE: one place opens files and names
//! the path on failure).

use std::fs::File;
use std::io::{self, BufReader, Cursor, IsTerminal, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::read::MultiGzDecoder;

/// How many bytes from the start of an input are looked at to sniff its encoding and
/// dialect. Large inputs are never read twice: the sniffed head is replayed in front of
/// the rest of the stream.
pub const SNIFF_BYTES: usize = 256 * 1024;

/// Files at least this large show a progress bar while they are read (when asked and
/// standard error is a terminal).
const PROGRESS_BYTES: u64 = 32 * 1024 * 1024;

/// A reader that shows how much of the file has been read, on standard error.
struct Progress<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R> Progress<R> {
    fn new(inner: R, total: u64) -> Progress<R> {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "churn: reading {bar:30} {bytes}/{total_bytes} ({eta} left)",
        ) {
            bar.set_style(style);
        }
        Progress { inner, bar }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl<R> Drop for Progress<R> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A character encoding, chosen by the user or detected from the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Charset {
    Utf8,
    Utf16le,
    Utf16be,
    /// Windows-1252, the superset of Latin-1 that Western European tills write.
    Windows1252,
}

impl Charset {
    pub fn parse(name: &str) -> Option<Charset> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Charset::Utf8),
            "utf-16le" | "utf16le" | "utf-16" => Some(Charset::Utf16le),
            "utf-16be" | "utf16be" => Some(Charset::Utf16be),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" => {
                Some(Charset::Windows1252)
            }
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Utf16le => "utf-16le",
            Charset::Utf16be => "utf-16be",
            Charset::Windows1252 => "windows-1252",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            Charset::Utf8 => UTF_8,
            Charset::Utf16le => UTF_16LE,
            Charset::Utf16be => UTF_16BE,
            Charset::Windows1252 => WINDOWS_1252,
        }
    }
}

/// An opened input: its display name, the head of its decoded text (for sniffing) and a
/// reader that yields the whole decoded text from the first byte, as UTF-8.
pub struct Input {
    pub name: String,
    pub charset: Charset,
    pub head: Vec<u8>,
    pub reader: Box<dyn Read + Send>,
    /// Size in bytes of the undecoded file when known (a plain file, not gzip or stdin).
    pub size: Option<u64>,
    /// A spreadsheet workbook (zip or OLE container) or a Parquet file: the reader yields
    /// its raw bytes.
    pub workbook: bool,
}

/// Whether bytes start like an .xlsx/.ods (zip) or an old .xls (OLE compound file).
pub fn is_workbook(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0")
}

/// Whether bytes start like a Parquet file (a data lake's export, or churn sql's daily
/// table written by Spark or DuckDB).
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(b"PAR1")
}

/// Opens `path` (`-` is standard input), undoes gzip and decodes to UTF-8.
///
/// `charset` overrides detection. Detection: a byte-order mark decides; otherwise the
/// head must be valid UTF-8, or the input is taken as Windows-1252.
pub fn open(path: &Path, charset: Option<Charset>, progress: bool) -> Result<Input> {
    let name = if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let mut size = None;
    let raw: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(io::stdin())
    } else {
        if path.is_dir() {
            bail!("{name}: is a directory, expected a CSV file");
        }
        let file = File::open(path).with_context(|| format!("{name}: cannot open file"))?;
        size = file.metadata().ok().map(|m| m.len());
        match size.filter(|&s| progress && s >= PROGRESS_BYTES && io::stderr().is_terminal()) {
            Some(total) => Box::new(Progress::new(file, total)),
            None => Box::new(file),
        }
    };
    let mut raw = BufReader::with_capacity(64 * 1024, raw);
    let mut head =
        read_head(&mut raw, SNIFF_BYTES).with_context(|| format!("{name}: cannot read"))?;

    // gzip: detected from its magic bytes, whatever the file is called.
    let raw: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        size = None;
        let gz = MultiGzDecoder::new(Cursor::new(std::mem::take(&mut head)).chain(raw));
        let mut gz = BufReader::with_capacity(64 * 1024, gz);
        head = read_head(&mut gz, SNIFF_BYTES)
            .with_context(|| format!("{name}: cannot decompress (is the gzip file complete?)"))?;
        Box::new(gz)
    } else {
        Box::new(raw)
    };

    if is_workbook(&head) || is_parquet(&head) {
        // Binary: no text encoding to undo.
        return Ok(Input {
            name,
            charset: Charset::Utf8,
            reader: Box::new(Cursor::new(head.clone()).chain(raw)),
            head,
            size,
            workbook: true,
        });
    }
    let charset = match charset {
        Some(c) => c,
        None => detect_charset(&head),
    };
    let rest = Cursor::new(head.clone()).chain(raw);
    let (head, reader): (Vec<u8>, Box<dyn Read + Send>) = match charset {
        Charset::Utf8 => {
            // Pass UTF-8 through untouched (no copy); only strip a byte-order mark.
            let skip = if head.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            let mut rest = rest;
            if skip > 0 {
                let mut bom = [0u8; 3];
                rest.read_exact(&mut bom)?;
            }
            (head[skip..].to_vec(), Box::new(rest))
        }
        other => {
            let decoder = DecodeReaderBytesBuilder::new()
                .encoding(Some(other.encoding()))
                .bom_override(true)
                .build(rest);
            let (decoded, _, _) = other.encoding().decode(&head);
            // The head may end inside a character; drop the last partial line instead.
            let decoded = decoded.into_owned().into_bytes();
            (decoded, Box::new(decoder))
        }
    };
    Ok(Input {
        name,
        charset,
        head,
        reader,
        size,
        workbook: false,
    })
}

fn read_head(reader: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(limit.min(64 * 1024));
    reader.take(limit as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Detects the encoding of a file from its first bytes.
pub fn detect_charset(head: &[u8]) -> Charset {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Charset::Utf8;
    }
    if head.starts_with(b"\xFF\xFE") {
        return Charset::Utf16le;
    }
    if head.starts_with(b"\xFE\xFF") {
        return Charset::Utf16be;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Charset::Utf8,
        // A multi-byte character cut off by the end of the sniffed head is still UTF-8.
        Err(e) if e.error_len().is_none() => Charset::Utf8,
        Err(_) => Charset::Windows1252,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_boms_and_windows_1252() {
        assert_eq!(detect_charset(b"\xEF\xBB\xBFa,b"), Charset::Utf8);
        assert_eq!(detect_charset(b"\xFF\xFEa\0"), Charset::Utf16le);
        assert_eq!(detect_charset("Västerås".as_bytes()), Charset::Utf8);
        assert_eq!(detect_charset(b"V\xe4ster\xe5s"), Charset::Windows1252);
        // cut in the middle of "ä"
        assert_eq!(detect_charset(&"Vä".as_bytes()[..2]), Charset::Utf8);
    }

    #[test]
    fn decodes_windows_1252_and_gzip() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"store\nV\xe4ster\xe5s\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let mut input = open(&path, None, false).unwrap();
        assert_eq!(input.charset, Charset::Windows1252);
        let mut text = String::new();
        input.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "store\nVästerås\n");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = open(Path::new("/nonexistent/p.csv"), None, false)
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("/nonexistent/p.csv"));
    }
}
