//! Report: one result, many formats. Results are plain `Serialize` structs; each format
//! is a small renderer writing to any `io::Write`. Output goes to standard output or,
//! with `-o FILE`, to a file written whole or not at all.

pub mod backtest;
pub mod changes;
pub mod clv;
pub mod contacts;
pub mod csv;
pub mod inspect;
pub mod json;
pub mod markdown;
pub mod monthly;
pub mod rate;
pub mod reasons;
pub mod scan;
pub mod summary;
pub mod table;
pub mod xlsx;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;

pub use scan::{SCHEMA_VERSION, ScanReport};

/// Output formats. Each command writes some of them (see its `--help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for reading in a terminal.
    Table,
    /// Every row, plain numbers and ISO dates, for spreadsheets and pipes.
    Csv,
    /// Everything, with a schema_version and the summary every command shares.
    Json,
    /// For wikis and e-mail.
    Markdown,
    /// One self-contained page with charts (churn report).
    Html,
    /// An Excel workbook (with -o): typed cells, ids as text.
    Xlsx,
}

impl Format {
    /// The format a file name asks for, if its extension says.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "xlsx" => Some(Format::Xlsx),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Xlsx => "xlsx",
        }
    }

    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Markdown => "md",
            other => other.name(),
        }
    }
}

/// The formats of a command's result table: every command but `report` writes these.
pub const TABULAR: [Format; 5] = [
    Format::Table,
    Format::Csv,
    Format::Json,
    Format::Markdown,
    Format::Xlsx,
];

/// A command's result in the [`TABULAR`] formats. JSON is the result as it is; xlsx is
/// the CSV's table with typed cells, in a sheet named [`Render::SHEET`].
pub trait Render: serde::Serialize {
    const SHEET: &'static str;
    /// The summary the result carries (its currency labels money in workbooks).
    fn summary(&self) -> &crate::metrics::Summary;
    /// For the terminal; `limit` caps long customer lists.
    fn table(&self, limit: usize, w: &mut dyn Write) -> io::Result<()>;
    /// Every row, plain numbers and ISO dates.
    fn csv(&self, w: &mut dyn Write) -> io::Result<()>;
    fn markdown(&self, limit: usize, w: &mut dyn Write) -> io::Result<()>;
}

/// A checked output: its format, target and CSV style.
#[derive(Clone, Debug)]
pub struct Output {
    pub format: Format,
    /// `None` or `-`: standard output.
    pub path: Option<PathBuf>,
    pub csv: CsvStyle,
}

impl Output {
    /// Writes `render`'s output to the target, applying the CSV style to CSV. xlsx is
    /// written by [`Output::write_bytes`] with the workbook.
    pub fn write(&self, render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
        if self.format != Format::Csv || self.csv == CsvStyle::default() {
            return write_output(self.path.as_deref(), render);
        }
        let mut plain = Vec::new();
        render(&mut plain)?;
        let styled = restyle_csv(&plain, self.csv)?;
        write_output(self.path.as_deref(), |w| w.write_all(&styled))
    }

    /// Writes bytes made beforehand (a workbook).
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        write_output(self.path.as_deref(), |w| w.write_all(bytes))
    }
}

impl Output {
    /// Writes `result` in the output's format.
    pub fn render<R: Render>(&self, result: &R, limit: usize) -> Result<()> {
        match self.format {
            Format::Table => self.write(|w| {
                let mut text = Vec::new();
                result.table(limit, &mut text)?;
                table::write_fitted(&String::from_utf8_lossy(&text), w)
            }),
            Format::Csv => self.write(|w| result.csv(w)),
            Format::Json => self.write(|w| json::write(result, w)),
            Format::Markdown => self.write(|w| result.markdown(limit, w)),
            Format::Xlsx => {
                let mut plain = Vec::new();
                result.csv(&mut plain)?;
                let currency = result.summary().currency.as_deref();
                self.write_bytes(&xlsx::from_csv(&plain, R::SHEET, currency)?)
            }
            Format::Html => unsupported(R::SHEET, self.format),
        }
    }
}

/// The error of a format a command does not write (the flags are checked before, so this
/// is a last guard, not a message users see).
pub fn unsupported(command: &str, format: Format) -> Result<()> {
    Err(crate::UsageError(format!("churn {command} does not write {}", format.name())).into())
}

/// A FIFO, device or other non-regular file (`/dev/stdout`): written straight into, and
/// its name says nothing of the format.
pub(crate) fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Writes `render`'s output to `path`, or to standard output when `path` is `None` or
/// `-`. A regular file is written whole or not at all (a temporary file beside it,
/// renamed on success); a symbolic link stays a link and its target is replaced so; a
/// FIFO, device or other special file (`/dev/stdout`) is written straight into.
pub fn write_output(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    match path {
        None => write_stdout(render),
        Some(p) if p == Path::new("-") => write_stdout(render),
        Some(p) if is_special(p) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .with_context(|| format!("{}: cannot open for writing", p.display()))?;
            let mut w = io::BufWriter::new(file);
            render(&mut w).with_context(|| format!("{}: cannot write", p.display()))?;
            w.flush()
                .with_context(|| format!("{}: cannot write", p.display()))?;
            Ok(())
        }
        Some(link) => {
            let target = resolve_links(link)?;
            let p = target.as_path();
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let mut tmp = tempfile::Builder::new()
                .prefix(".churn-")
                .tempfile_in(&dir)
                .with_context(|| {
                    format!("{}: cannot create a file in {}", p.display(), dir.display())
                })?;
            {
                let mut w = io::BufWriter::new(tmp.as_file_mut());
                render(&mut w).with_context(|| format!("{}: cannot write", p.display()))?;
                w.flush()
                    .with_context(|| format!("{}: cannot write", p.display()))?;
            }
            // Temporary files are private (0600); a report is an ordinary file. Keep the
            // mode of the file being replaced, or use rw-r--r--.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(p).map_or(0o644, |m| m.permissions().mode());
                let _ = tmp
                    .as_file()
                    .set_permissions(std::fs::Permissions::from_mode(mode));
            }
            tmp.persist(p)
                .map_err(|e| e.error)
                .with_context(|| format!("{}: cannot write", p.display()))?;
            Ok(())
        }
    }
}

/// The file a path names after following symbolic links, even when the last link's
/// target does not exist yet.
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)
                    .with_context(|| format!("{}: cannot read the link", current.display()))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    anyhow::bail!("{}: too many levels of symbolic links", path.display())
}

fn write_stdout(render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    render(&mut w)?;
    w.flush()?;
    Ok(())
}

/// How CSV is written for spreadsheets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvStyle {
    /// A UTF-8 byte-order mark first (Excel on Windows needs it to read UTF-8).
    pub bom: bool,
    /// `;` between fields and decimal commas in plain numbers.
    pub european: bool,
}

/// Rewrites churn's plain CSV (`,`, `.` decimals) in `style`. Only fields that are plain
/// numbers (`-12.50`) change their decimal mark; text and dates stay as they are.
pub fn restyle_csv(plain: &[u8], style: CsvStyle) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(plain.len() + 3);
    if style.bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if !style.european {
        out.extend_from_slice(plain);
        return Ok(out);
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(plain);
    let mut writer = ::csv::WriterBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_writer(&mut out);
    let is_number = |f: &str| {
        let digits = f.strip_prefix('-').unwrap_or(f);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    for record in reader.records() {
        let record = record.map_err(io::Error::other)?;
        let fields: Vec<String> = record
            .iter()
            .map(|f| {
                if is_number(f) {
                    f.replacen('.', ",", 1)
                } else {
                    f.to_string()
                }
            })
            .collect();
        writer.write_record(&fields)?;
    }
    writer.flush()?;
    drop(writer);
    Ok(out)
}

/// Money for people: `12,345.67`.
pub fn money(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!(
        "{}{out}.{frac}",
        if v < 0.0 && s != "0.00" { "-" } else { "" }
    )
}

/// A count for people: `12,345`.
pub fn count(n: u64) -> String {
    let m = money(n as f64);
    m.trim_end_matches(".00").to_string()
}

/// A share for people: `12.3%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_for_european_spreadsheets() {
        let plain = b"customer_id,store,revenue,first_visit\nC1,V\xc3\xa4ster\xc3\xa5s,1234.50,2026-01-02\nC2,\"A, B\",-3,\n";
        let eu = restyle_csv(
            plain,
            CsvStyle {
                bom: true,
                european: true,
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(eu).unwrap(),
            "\u{feff}customer_id;store;revenue;first_visit\nC1;Västerås;1234,50;2026-01-02\nC2;A, B;-3;\n"
        );
        let bom_only = restyle_csv(
            b"a,b\n1.5,x\n",
            CsvStyle {
                bom: true,
                european: false,
            },
        )
        .unwrap();
        assert_eq!(bom_only, b"\xEF\xBB\xBFa,b\n1.5,x\n");
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(count(12345), "12,345");
        assert_eq!(percent(0.1234), "12.3%");
    }

    #[test]
    fn a_failed_render_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let err = write_output(Some(&path), |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        write_output(Some(&path), |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
