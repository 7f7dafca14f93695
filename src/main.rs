//! The `churn` binary: parse arguments, run, report errors, set the exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version.
    let cli = churn::Cli::parse();
    match churn::run(&cli) {
        Ok(churn::Outcome::Done) => ExitCode::SUCCESS,
        Ok(churn::Outcome::Alert) => ExitCode::from(churn::ALERT_EXIT_CODE),
        // `churn scan … | head`: the reader left; that is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<churn::UsageError>().is_some() => {
            let _ = writeln!(io::stderr(), "churn: {e:#}");
            ExitCode::from(churn::USAGE_EXIT_CODE)
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "churn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether the error is, at bottom, a write to a closed pipe. The csv crate wraps I/O
/// errors (as `io::ErrorKind::Other` holding a `csv::Error`), so look inside.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            return io_is_broken_pipe(io);
        }
        matches!(c.downcast_ref::<csv::Error>().map(csv::Error::kind), Some(csv::ErrorKind::Io(io)) if io_is_broken_pipe(io))
    })
}

fn io_is_broken_pipe(io: &io::Error) -> bool {
    if io.kind() == io::ErrorKind::BrokenPipe {
        return true;
    }
    match io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<csv::Error>())
    {
        Some(err) => matches!(err.kind(), csv::ErrorKind::Io(inner) if io_is_broken_pipe(inner)),
        None => false,
    }
}
