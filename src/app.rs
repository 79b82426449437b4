//! Runs a parsed command line: builds the pipeline's configuration, picks the output, and
//! reports how the run went as an exit status. The binary's `main` only maps the result.

use crate::capture::{CaptureError, FileSource};
use crate::cli::{
    CaptureArgs, ChannelArg, Cli, ColorArg, Command, FlowsArgs, FlowsFormat, NotesArg, ReadArgs,
    ReadFormat, StatsArgs, StatsFormat, TranscriptFormatArg, TranscriptsArgs,
};
use crate::conversation::Correlator;
use crate::event::{Channel, Sink};
use crate::flow::FlowConfig;
use crate::flow::{Expectation, FlowConsumer, FlowEvent};
use crate::output::dialogue::{Dialogue, Notes};
use crate::output::dump::Dump;
use crate::output::extract::Extract;
use crate::output::flows::{FlowsReport, table};
use crate::output::json::{self, JsonArray, JsonLines};
use crate::output::progress::Progress;
use crate::output::select::{Select, Selection};
use crate::output::stats::{Stats, tables};
use crate::output::transcript::{self, TranscriptFormat};
use crate::pipeline;
use crate::session::Decoder;
use clap::CommandFactory;
use std::io::IsTerminal;
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
        Command::Read(args) => read(args),
        Command::Stats(args) => stats(args),
        Command::Transcripts(args) => transcripts(args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "msnsniff", &mut io::stdout());
            Ok(Outcome {
                found_msn: true,
                capture_error: None,
            })
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut io::stdout())?;
            Ok(Outcome {
                found_msn: true,
                capture_error: None,
            })
        }
    }
}

fn source_and_config(c: &CaptureArgs) -> (Progress<FileSource>, FlowConfig) {
    let source = Progress::new(
        FileSource::new(c.files.clone(), c.filter()),
        &c.files,
        c.quiet,
    );
    let config = FlowConfig {
        ports: c.ports(),
        ..pipeline::msn_config()
    };
    (source, config)
}

fn flows(args: FlowsArgs) -> io::Result<Outcome> {
    let (mut source, config) = source_and_config(&args.capture);
    // The directory first, so that a bad one fails before the capture is read.
    let mut dump = args.dump.clone().map(Dump::new).transpose()?;
    // The rows are the summaries the decoder reports; the decoder also follows the
    // switchboards and transfers the protocol announces.
    let mut report = FlowsReport::new();
    let mut decoder = Decoder::new(&mut report);
    let mut tee = DecodeAndDump {
        decoder: &mut decoder,
        dump: dump.as_mut(),
    };
    let summary = pipeline::run(&mut source, config, &mut tee)?;
    drop(decoder);
    if let Some(d) = dump {
        d.finish()?;
    }
    let rows = report.rows();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        FlowsFormat::Table => {
            if !rows.is_empty() {
                writeln!(out, "{}", table(&rows))?;
            }
        }
        FlowsFormat::Jsonl => json::write_flow_rows_jsonl(&mut out, &rows)?,
        FlowsFormat::Json => json::write_flow_rows_json(&mut out, &rows)?,
    }
    out.flush()?;
    Ok(Outcome {
        found_msn: summary.msn_connections > 0,
        capture_error: summary.capture_error,
    })
}

/// Whether to colour: `auto` colours a terminal unless NO_COLOR is set (to anything but "").
fn use_color(arg: ColorArg) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn read(args: ReadArgs) -> io::Result<Outcome> {
    let (mut source, config) = source_and_config(&args.capture);
    let stdout = io::stdout();
    let out = io::BufWriter::new(stdout.lock());
    let mut sink: Box<dyn Sink> = match args.format {
        ReadFormat::Dialogue => {
            let notes = match args.notes {
                NotesArg::None => Notes::None,
                NotesArg::Brief => Notes::Brief,
                NotesArg::Full => Notes::Full,
            };
            Box::new(Dialogue::new(out, notes, use_color(args.color), args.group))
        }
        ReadFormat::Jsonl => Box::new(JsonLines::new(out)),
        ReadFormat::Json => Box::new(JsonArray::new(out)),
    };
    let selection = Selection {
        channels: args
            .only
            .iter()
            .map(|c| match c {
                ChannelArg::Ns => Channel::Ns,
                ChannelArg::Sb => Channel::Sb,
                ChannelArg::Msnc => Channel::Msnc,
            })
            .collect(),
        flows: args.flows.clone(),
        principal: args.principal.clone(),
        verbs: args.verb.clone(),
    };
    // The directory first, so that a bad one fails before the capture is read. Selection
    // comes before extraction: only the selected connections' objects are written.
    let mut extract = match &args.extract {
        Some(dir) => Some(Extract::new(sink.as_mut(), dir.clone())?),
        None => None,
    };
    let inner: &mut dyn Sink = match &mut extract {
        Some(x) => x,
        None => sink.as_mut(),
    };
    let mut select = Select::new(inner, selection);
    let mut decoder = Decoder::new(&mut select);
    let summary = pipeline::run(&mut source, config, &mut decoder)?;
    let commands = decoder.commands;
    drop(decoder);
    select.finish()?;
    Ok(Outcome {
        found_msn: summary.msn_connections > 0 && commands > 0,
        capture_error: summary.capture_error,
    })
}

fn stats(args: StatsArgs) -> io::Result<Outcome> {
    let (mut source, config) = source_and_config(&args.capture);
    let mut stats = Stats::new();
    let (summary, commands) = match &args.extract {
        // The directory first (in `Extract::new`), so that a bad one fails before the capture
        // is read; the extractor passes every event on, and adds what it wrote.
        Some(dir) => {
            let mut extract = Extract::new(&mut stats, dir.clone())?;
            let run = decode(&mut source, config, &mut extract)?;
            extract.finish()?;
            run
        }
        None => decode(&mut source, config, &mut stats)?,
    };
    let report = stats.report();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let found_msn = summary.msn_connections > 0 && commands > 0;
    match args.format {
        StatsFormat::Table => {
            if found_msn {
                write!(out, "{}", tables(&report))?;
            }
        }
        StatsFormat::Json => json::stats::write(&mut out, &report)?,
    }
    out.flush()?;
    Ok(Outcome {
        found_msn,
        capture_error: summary.capture_error,
    })
}

/// `msnsniff transcripts`: the correlator turns the decoder's events into conversations and
/// login sessions, then every transcript is written; the paths written go to stdout.
fn transcripts(args: TranscriptsArgs) -> io::Result<Outcome> {
    let (mut source, config) = source_and_config(&args.capture);
    let formats: Vec<TranscriptFormat> = if args.format.is_empty() {
        TranscriptFormat::ALL.to_vec()
    } else {
        args.format
            .iter()
            .map(|f| match f {
                TranscriptFormatArg::Txt => TranscriptFormat::Txt,
                TranscriptFormatArg::Html => TranscriptFormat::Html,
                TranscriptFormatArg::Json => TranscriptFormat::Json,
            })
            .collect()
    };
    // The directory first, so that a bad one fails before the capture is read.
    std::fs::create_dir_all(&args.output)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", args.output.display())))?;
    let mut correlator = Correlator::new();
    let (summary, commands) = decode(&mut source, config, &mut correlator)?;
    let mut conversations = correlator.take_finished();
    let rest = correlator.finish();
    conversations.extend(rest.conversations);
    let written = transcript::write_all(
        &args.output,
        &conversations,
        &rest.login_sessions,
        &rest.contact_lists,
        &rest.presence,
        &formats,
    )?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for path in &written {
        writeln!(out, "{}", path.display())?;
    }
    out.flush()?;
    Ok(Outcome {
        found_msn: summary.msn_connections > 0 && commands > 0,
        capture_error: summary.capture_error,
    })
}

/// Runs the pipeline with the decoder feeding `sink`: the run's summary and the number of
/// commands decoded.
fn decode(
    source: &mut Progress<FileSource>,
    config: FlowConfig,
    sink: &mut dyn Sink,
) -> io::Result<(pipeline::RunSummary, u64)> {
    let mut decoder = Decoder::new(sink);
    let summary = pipeline::run(source, config, &mut decoder)?;
    Ok((summary, decoder.commands))
}

/// Feeds each flow event to the decoder (whose events make the rows, and whose announcements go
/// back to the flow table) and, with `--dump`, to the dump writer.
struct DecodeAndDump<'a, 's> {
    decoder: &'a mut Decoder<'s>,
    dump: Option<&'a mut Dump>,
}

impl FlowConsumer for DecodeAndDump<'_, '_> {
    fn event(&mut self, ev: &FlowEvent<'_>) -> io::Result<()> {
        self.decoder.event(ev)?;
        match &mut self.dump {
            Some(d) => d.event(ev),
            None => Ok(()),
        }
    }

    fn take_expectations(&mut self) -> Vec<Expectation> {
        self.decoder.take_expectations()
    }
}
