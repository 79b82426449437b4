//! Runs a parsed command line: builds the pipeline's configuration, picks the output, and
//! reports how the run went as an exit status. The binary's `main` only maps the result.

use crate::capture::{CaptureError, FileSource};
use crate::cli::{CaptureArgs, Cli, Command, FlowsArgs, FlowsFormat};
use crate::flow::FlowConfig;
use crate::output::flows::{FlowsReport, json, table};
use crate::pipeline;
use std::io::{self, Write};

/// How a run ended, when it did not fail outright.
#[derive(Debug)]
pub struct Outcome {
    /// Whether any MSN traffic was found (exit 0) or none (exit 1).
    pub found_msn: bool,
    /// A capture that failed part way (exit 2, after everything before the damage was output).
    pub capture_error: Option<CaptureError>,
}

/// Runs one command. `Err` is an environment failure (output, dump directory); a capture
/// that cannot be read is reported through [`Outcome::capture_error`].
pub fn run(cli: Cli) -> io::Result<Outcome> {
    match cli.command {
        Command::Flows(args) => flows(args),
    }
}

fn source_and_config(c: &CaptureArgs) -> (FileSource, FlowConfig) {
    let source = FileSource::new(c.files.clone(), c.filter());
    let config = FlowConfig {
        ports: c.ports(),
        ..FlowConfig::default()
    };
    (source, config)
}

fn flows(args: FlowsArgs) -> io::Result<Outcome> {
    let (mut source, config) = source_and_config(&args.capture);
    let mut report = FlowsReport::new(args.dump.clone())?;
    let summary = pipeline::run(&mut source, config, &mut report)?;
    let rows = report.finish()?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        FlowsFormat::Table => {
            if !rows.is_empty() {
                writeln!(out, "{}", table(&rows))?;
            }
        }
        FlowsFormat::Jsonl => {
            for r in &rows {
                serde_json::to_writer(&mut out, &json(r))?;
                out.write_all(b"\n")?;
            }
        }
        FlowsFormat::Json => {
            let all: Vec<_> = rows.iter().map(json).collect();
            serde_json::to_writer_pretty(&mut out, &all)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(Outcome {
        found_msn: summary.msn_connections > 0,
        capture_error: summary.capture_error,
    })
}
