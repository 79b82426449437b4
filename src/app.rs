//! Runs a parsed command line: builds the pipeline's configuration, picks the output, and
//! reports how the run went as an exit status. The binary's `main` only maps the result.

use crate::capture::{
    self, CaptureError, FileSource, LiveOptions, LiveSource, PacketSource, PacketTap, PcapWriter,
    ReadAhead,
};
use crate::cli::{
    CaptureArgs, ChannelArg, Cli, ColorArg, Command, EventArgs, FlowsArgs, FlowsFormat,
    InterfacesArgs, LiveArgs, NotesArg, ReadArgs, ReadFormat, StatsArgs, StatsFormat, TimeArg,
    TranscriptFormatArg, TranscriptsArgs,
};
use crate::event::{Channel, Sink, Tee};
use crate::flow::FlowConfig;
use crate::flow::{Expectation, FlowConsumer, FlowEvent};
use crate::output::dialogue::{Dialogue, Notes, Stamps, TimeFormat};
use crate::output::dump::Dump;
use crate::output::extract::Extract;
use crate::output::flows::{FlowsReport, Layout, TableRows};
use crate::output::json::{self, JsonArray, JsonLines};
use crate::output::progress::Progress;
use crate::output::select::{Select, Selection};
use crate::output::stats::{Stats, tables};
use crate::output::transcript::{Transcribe, TranscriptFormat, TranscriptWriter};
use crate::pipeline;
use crate::redact::{Redact, Redactor};
use crate::session::Decoder;
use clap::CommandFactory;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::io::IsTerminal;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How a run ended, when it did not fail outright.
#[derive(Debug)]
pub struct Outcome {
    /// Whether any MSN traffic was found (exit 0) or none (exit 1).
    pub found_msn: bool,
    /// A capture that failed part way (exit 2, after everything before the damage was output).
    pub capture_error: Option<CaptureError>,
    /// Why nothing was found, when the user should be told (a selection that matched
    /// nothing): one line on stderr with exit 1.
    pub note: Option<String>,
}

/// Runs one command. `Err` is an environment failure (output, dump directory); a capture
/// that cannot be read is reported through [`Outcome::capture_error`].
pub fn run(cli: Cli) -> io::Result<Outcome> {
    match cli.command {
        Command::Flows(args) => flows(args),
        Command::Read(args) => read(args),
        Command::Stats(args) => stats(args),
        Command::Transcripts(args) => transcripts(args),
        Command::Live(args) => live(args),
        Command::Interfaces(args) => interfaces(args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "msnsniff", &mut io::stdout());
            Ok(Outcome {
                found_msn: true,
                capture_error: None,
                note: None,
            })
        }
        Command::Man(args) => {
            man(args)?;
            Ok(Outcome {
                found_msn: true,
                capture_error: None,
                note: None,
            })
        }
    }
}

/// Whether a command's files on disk are read on a thread of their own when there is a
/// second processor.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ahead {
    /// `read`, `stats` and `flows`: their decoding thread sets the pace, and reading ahead
    /// takes the reading off it.
    Read,
    /// `transcripts`: its decoding and writing threads already keep two processors busy,
    /// and a third thread made it slower (0.97 of the time without it, in paired runs on
    /// the generated 100 MB capture).
    Not,
}

/// The file source, the flow settings, and with several files the map of where each starts
/// (for the outputs that say which file a frame is in).
#[allow(clippy::type_complexity)]
fn source_and_config(
    c: &CaptureArgs,
    ahead: Ahead,
) -> io::Result<(
    Progress<ReadAhead<FileSource>>,
    FlowConfig,
    Option<capture::FileMap>,
)> {
    // Every input is looked at first: a typo in the last name fails before any output.
    capture::check_inputs(&c.files).map_err(|e| io::Error::other(e.to_string()))?;
    let map = (c.files.len() > 1).then(capture::FileMap::new);
    let mut files = FileSource::new(c.files.clone(), c.filter());
    if let Some(map) = &map {
        files = files.with_file_map(map.clone());
    }
    // With a second processor, files on disk are read on a thread of their own. Standard
    // input and named pipes are not: their next bytes may be a while coming, and the
    // packets read before must not wait in a block for them (`--line-buffered` shows each
    // line as soon as its packets have come).
    let on_disk = c
        .files
        .iter()
        .all(|f| f != "-" && std::fs::metadata(f).is_ok_and(|m| m.is_file()));
    let ahead = ReadAhead::new(files, ahead == Ahead::Read && on_disk && threads(c) > 1)?;
    let source = Progress::new(ahead, &c.files, c.quiet);
    let config = FlowConfig {
        ports: c.ports(),
        memcap: memcap_half(c.memcap),
        ..pipeline::msn_config()
    };
    Ok((source, config, map))
}

fn flows(args: FlowsArgs) -> io::Result<Outcome> {
    let (mut source, config, _) = source_and_config(&args.capture, Ahead::Read)?;
    // The directory first, so that a bad one fails before the capture is read.
    let mut dump = args.dump.clone().map(Dump::new).transpose()?;
    // The rows are the summaries the decoder reports; the decoder also follows the
    // switchboards and transfers the protocol announces. Rows come in id order as
    // connections close: JSON Lines, TSV and the JSON array are written at once; the table,
    // which needs every row's width first, keeps them (beyond a few thousand, in a temporary
    // file) and is drawn at the end.
    let stdout = io::stdout();
    let out = std::cell::RefCell::new(io::BufWriter::with_capacity(1 << 16, stdout.lock()));
    let table_rows = std::cell::RefCell::new(TableRows::new());
    let json_rows = std::cell::RefCell::new(json::FlowRowsJson::default());
    let mut report = match args.format {
        FlowsFormat::Jsonl => FlowsReport::new(Box::new(|row| {
            let mut o = out.borrow_mut();
            serde_json::to_writer(&mut *o, &row.wire())?;
            o.write_all(b"\n")
        })),
        FlowsFormat::Tsv => {
            crate::output::flows::tsv_header(&mut *out.borrow_mut())?;
            FlowsReport::new(Box::new(|row| {
                crate::output::flows::tsv_row(&mut *out.borrow_mut(), row)
            }))
        }
        FlowsFormat::Json => FlowsReport::new(Box::new(|row| {
            json_rows.borrow_mut().row(&mut *out.borrow_mut(), row)
        })),
        FlowsFormat::Table => FlowsReport::new(Box::new(|row| table_rows.borrow_mut().push(row))),
    };
    let mut redact = Redact::new(&mut report, redactor(&args.redact)?);
    let mut decoder = Decoder::new(&mut redact).with_memcap(config.memcap);
    let mut tee = DecodeAndDump {
        decoder: &mut decoder,
        dump: dump.as_mut(),
    };
    let summary = pipeline::run(&mut source, config, &mut tee)?;
    drop(decoder);
    drop(redact);
    if let Some(d) = dump {
        d.finish()?;
    }
    report.finish_rows()?;
    let mut out = out.borrow_mut();
    match args.format {
        FlowsFormat::Table => {
            let rows = table_rows.into_inner();
            if !rows.is_empty() {
                let layout = Layout {
                    width: terminal_width(),
                    color: use_color(args.color),
                };
                rows.write(&mut *out, layout)?;
            }
        }
        FlowsFormat::Json => json_rows.into_inner().finish(&mut *out)?,
        FlowsFormat::Tsv | FlowsFormat::Jsonl => {}
    }
    out.flush()?;
    Ok(Outcome {
        found_msn: summary.msn_connections > 0,
        capture_error: summary.capture_error,
        note: None,
    })
}

/// Whether to colour. `auto` follows the conventions of NO_COLOR (no-color.org) and
/// CLICOLOR_FORCE (bixense.com/clicolors): NO_COLOR set to anything but "" turns colour off;
/// otherwise CLICOLOR_FORCE set to anything but "" or "0" turns it on even for a pipe;
/// otherwise a terminal is coloured and anything else is not.
fn use_color(arg: ColorArg) -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto if set("NO_COLOR").is_some() => false,
        ColorArg::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorArg::Auto => io::stdout().is_terminal(),
    }
}

/// The width a table must fit: $COLUMNS when set (as shells export it), else the terminal's
/// when stdout is one; `None` for a pipe or a file, where rows stay one line each.
fn terminal_width() -> Option<u16> {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
    {
        return Some(cols);
    }
    if !io::stdout().is_terminal() {
        return None;
    }
    comfy_table::Table::new().width()
}

fn read(args: ReadArgs) -> io::Result<Outcome> {
    let (mut source, config, files) = source_and_config(&args.capture, Ahead::Read)?;
    let stdout = io::stdout();
    // A terminal (and --line-buffered) gets each line as it is complete; a pipe or a file
    // gets blocks, as grep does.
    let line = args.events.line_buffered || stdout.is_terminal();
    let out: Box<dyn Write> = if line {
        Box::new(io::LineWriter::new(stdout.lock()))
    } else {
        Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock()))
    };
    // The output is written on a thread apart from the decoding (JSON is as much work as
    // the decoding, the dialogue about a quarter of it: 9 % less wall time with the file
    // read ahead on a third, docs/performance.md), except line by line.
    let (summary, commands, unmatched) = print_events(
        &mut source,
        if split(&args.capture, !line) {
            Decoding::Apart
        } else {
            Decoding::Here(None)
        },
        config,
        out,
        &args.events,
        &mut [],
        files,
    )?;
    Ok(Outcome {
        found_msn: summary.msn_connections > 0 && commands > 0 && unmatched.is_none(),
        capture_error: summary.capture_error,
        note: unmatched,
    })
}

/// The printed output of `read` and `live`: the dialogue or JSON events to `out`, after the
/// selection and `--extract`; `also` take the same selected events (a live run's `stats` and
/// transcripts); `decoding` says on which thread the decoder runs, and what else sees every
/// packet (a live run's `-w`). Returns the run's summary and the number of commands decoded.
fn print_events<'o>(
    source: &mut (dyn PacketSource + Send),
    decoding: Decoding<'_>,
    config: FlowConfig,
    out: impl Write + 'o,
    args: &EventArgs,
    also: &mut [&mut dyn Sink],
    files: Option<capture::FileMap>,
) -> io::Result<(pipeline::RunSummary, u64, Option<String>)> {
    if (args.time != TimeArg::None || args.frames) && args.format != ReadFormat::Dialogue {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--time and --frames stamp dialogue lines; JSON events carry ts, ts_ns and frame",
        ));
    }
    if args.group && args.format != ReadFormat::Dialogue {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--group orders the dialogue only; JSON events carry `flow`, so group them \
             downstream (jq -s 'group_by(.flow)')",
        ));
    }
    let mut sink: Box<dyn Sink + 'o> = match args.format {
        ReadFormat::Dialogue => {
            let notes = match args.notes {
                NotesArg::None => Notes::None,
                NotesArg::Brief => Notes::Brief,
                NotesArg::Full => Notes::Full,
            };
            let stamps = Stamps {
                time: match args.time {
                    TimeArg::None => TimeFormat::None,
                    TimeArg::Iso => TimeFormat::Iso,
                    TimeArg::Epoch => TimeFormat::Epoch,
                    TimeArg::Relative => TimeFormat::Relative,
                    TimeArg::Delta => TimeFormat::Delta,
                },
                frames: args.frames,
                local: args.local,
            };
            Box::new(
                Dialogue::new(out, notes, use_color(args.color), args.group)
                    .with_group_memory(config.memcap)
                    .with_stamps(stamps)
                    .with_files(files),
            )
        }
        ReadFormat::Jsonl => Box::new(JsonLines::new(out).with_files(files)),
        ReadFormat::Json => Box::new(JsonArray::new(out).with_files(files)),
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
        handle: args.handle.clone(),
        errors: args.errors,
        since: args.since,
        until: args.until,
    };
    let mut sinks: Vec<&mut dyn Sink> = vec![sink.as_mut()];
    for s in also.iter_mut() {
        sinks.push(&mut **s);
    }
    let mut tee = Tee(sinks);
    // The directory first, so that a bad one fails before the capture is read. Selection
    // comes before extraction: only the selected connections' objects are written.
    let mut extract = match &args.extract {
        Some(dir) => Some(Extract::new(&mut tee, dir.clone())?),
        None => None,
    };
    let inner: &mut dyn Sink = match &mut extract {
        Some(x) => x,
        None => &mut tee,
    };
    // Redaction after the selection (which matches real handles), before every output.
    let mut redact = Redact::new(inner, redactor(&args.redact)?);
    let (selection_empty, selection_words) = (selection.is_empty(), selection.describe());
    let mut select = Select::new(&mut redact, selection);
    let (summary, commands) = match decoding {
        Decoding::Apart => pipeline::decode_split(source, config, &mut select)?,
        Decoding::Here(tap) => {
            let mut decoder = Decoder::new(&mut select).with_memcap(config.memcap);
            let summary = pipeline::run_tapped(source, config, &mut decoder, tap)?;
            (summary, decoder.commands)
        }
    };
    select.finish()?;
    // A selection that matched nothing in a capture that had commands is said, as grep
    // says nothing but exits 1; here one line on stderr names the options.
    let unmatched = (commands > 0 && select.matched == 0 && !selection_empty)
        .then(|| format!("nothing matched {}", selection_words));
    Ok((summary, commands, unmatched))
}

/// `msnsniff live`: the same pipeline and outputs as `read`, fed by a live capture that stops
/// on a signal, a count or a duration; output is flushed line by line.
fn live(args: LiveArgs) -> io::Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // The first signal asks for a clean stop; a second one (the first having set the
        // flag) ends the process at once, as 128 + SIGINT.
        signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop))?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let mut source = LiveSource::open(LiveOptions {
        interface: args.interface.clone(),
        promisc: !args.no_promisc,
        snaplen: args.snaplen,
        buffer_mib: args.buffer_size,
        filter: (!args.filter.is_empty()).then(|| args.filter.join(" ")),
        count: args.count,
        duration: args
            .duration
            .map(|d| Duration::try_from_secs_f64(d.max(0.0)).unwrap_or(Duration::MAX)),
        stop,
    })
    .map_err(|e| io::Error::other(e.to_string()))?;
    // Every directory and file first, so that a bad one fails before capturing starts.
    let mut transcribe = match &args.transcripts {
        Some(dir) => Some(Transcribe::new(
            TranscriptWriter::new(dir, &TranscriptFormat::ALL)?,
            None,
        )),
        None => None,
    };
    let mut writer = match &args.write {
        Some(path) => Some(PcapWriter::new(
            source
                .savefile(path)
                .map_err(|e| io::Error::other(e.to_string()))?,
            args.write_msn_only,
        )),
        None => None,
    };
    let config = FlowConfig {
        ports: if args.ports.is_empty() {
            vec![1863]
        } else {
            args.ports.clone()
        },
        idle_close: Some(Duration::from_secs(args.idle_close.max(1))),
        memcap: memcap_half(args.memcap),
        ..pipeline::msn_config()
    };
    let mut stats = args.stats.then(Stats::new);
    let mut also: Vec<&mut dyn Sink> = Vec::new();
    if let Some(s) = &mut stats {
        also.push(s);
    }
    if let Some(t) = &mut transcribe {
        also.push(t);
    }
    if !args.quiet {
        eprintln!(
            "msnsniff: listening on {}, link-type {}, snapshot length {} bytes",
            crate::output::text::escape_text(source.interface()),
            source.link_description(),
            args.snaplen
        );
    }
    // Live output may not wait in a buffer: each line goes out when it is complete.
    let stdout = io::stdout();
    let out = io::LineWriter::new(stdout.lock());
    let tap = writer.as_mut().map(|w| w as &mut dyn PacketTap);
    let (summary, _, _) = print_events(
        &mut source,
        Decoding::Here(tap),
        config,
        out,
        &args.events,
        &mut also,
        None,
    )?;
    drop(also);
    if let Some(stats) = stats {
        let report = stats.report();
        if args.events.format == ReadFormat::Dialogue {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            write!(out, "{}", tables(&report))?;
            out.flush()?;
        } else {
            eprint!("{}", tables(&report));
        }
    }
    if let (Some(dir), Some(transcribe)) = (&args.transcripts, transcribe) {
        let written = transcribe.finish()?;
        if !args.quiet {
            eprintln!(
                "msnsniff: {} transcript files written to {}",
                written,
                dir.display()
            );
        }
    }
    if !args.quiet {
        let counts = source.stats();
        let written = match (&writer, &args.write) {
            (Some(w), Some(path)) => format!(", {} written to {}", w.written, path.display()),
            _ => String::new(),
        };
        eprintln!(
            "msnsniff: {} packets captured, {} MSN connections, {} dropped by the kernel, {} by the interface{written}",
            counts.captured, summary.msn_connections, counts.dropped, counts.if_dropped
        );
    }
    // A live run that was stopped has done its job, whether or not MSN traffic came by.
    Ok(Outcome {
        found_msn: true,
        capture_error: summary.capture_error,
        note: None,
    })
}

/// `msnsniff man`: one page to stdout, or every page to a directory.
fn man(args: crate::cli::ManArgs) -> io::Result<()> {
    use crate::output::man;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Some(dir) = &args.dir {
        for path in man::write_all(Cli::command(), dir)? {
            writeln!(out, "{}", path.display())?;
        }
        return out.flush();
    }
    let all = man::pages(Cli::command());
    let wanted = match &args.subcommand {
        None => "msnsniff".to_string(),
        Some(s) => format!("msnsniff-{s}"),
    };
    let Some(page) = all.iter().find(|c| c.get_name() == wanted) else {
        let names: Vec<&str> = all
            .iter()
            .filter_map(|c| c.get_name().strip_prefix("msnsniff-"))
            .collect();
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "no page for `{}` (pages: {})",
                args.subcommand.unwrap_or_default(),
                names.join(", ")
            ),
        ));
    };
    man::render(page, &all, &mut out)?;
    out.flush()
}

/// `msnsniff interfaces`: the devices libpcap can capture on.
fn interfaces(args: InterfacesArgs) -> io::Result<Outcome> {
    let list = capture::interfaces().map_err(|e| io::Error::other(e.to_string()))?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        StatsFormat::Table => writeln!(out, "{}", crate::output::interfaces::table(&list))?,
        StatsFormat::Json => crate::output::interfaces::write_json(&mut out, &list)?,
    }
    out.flush()?;
    Ok(Outcome {
        found_msn: true,
        capture_error: None,
        note: None,
    })
}

fn stats(args: StatsArgs) -> io::Result<Outcome> {
    let (mut source, config, _) = source_and_config(&args.capture, Ahead::Read)?;
    let mut stats = Stats::new();
    let redactor = redactor(&args.redact)?;
    // The summary is made on a thread apart from the decoding: with the file read ahead on
    // a third, a fifth less wall time (docs/performance.md).
    let split = split(&args.capture, true);
    let (summary, commands) = match &args.extract {
        // The directory first (in `Extract::new`), so that a bad one fails before the capture
        // is read; the extractor passes every event on, and adds what it wrote.
        Some(dir) => {
            let mut extract = Extract::new(&mut stats, dir.clone())?;
            let run = decode(
                &mut source,
                split,
                config,
                &mut Redact::new(&mut extract, redactor),
            )?;
            extract.finish()?;
            run
        }
        None => decode(
            &mut source,
            split,
            config,
            &mut Redact::new(&mut stats, redactor),
        )?,
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
        note: None,
    })
}

/// `msnsniff transcripts`: the correlator turns the decoder's events into conversations and
/// login sessions, then every transcript is written; the paths written go to stdout.
fn transcripts(args: TranscriptsArgs) -> io::Result<Outcome> {
    let (mut source, config, _) = source_and_config(&args.capture, Ahead::Not)?;
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
    // The directory first, so that a bad one fails before the capture is read. Each
    // conversation is written as soon as it is over, not held until the end, and its paths
    // listed; the indexes are written at the end. A closed stdout stops the listing, not the
    // writing.
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut transcribe = Transcribe::new(
        TranscriptWriter::new(&args.output, &formats)?,
        Some(&mut out),
    );
    let (summary, commands) = decode(
        &mut source,
        split(&args.capture, true),
        config,
        &mut Redact::new(&mut transcribe, redactor(&args.redact)?),
    )?;
    transcribe.finish()?;
    // A reader that went away stopped the listing only (see `Transcribe`).
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(Outcome {
        found_msn: summary.msn_connections > 0 && commands > 0,
        capture_error: summary.capture_error,
        note: None,
    })
}

/// What each half of `--memcap` (reassembly, framers) may hold, in bytes.
fn memcap_half(mib: u32) -> usize {
    (mib as usize) << 19
}

/// The redaction the options ask for: with a key from MSNSNIFF_REDACT_KEY, or a random one.
fn redactor(args: &crate::cli::RedactArgs) -> io::Result<Option<Redactor>> {
    let Some(policy) = args.policy() else {
        return Ok(None);
    };
    let key = match std::env::var_os(crate::redact::KEY_ENV).filter(|k| !k.is_empty()) {
        Some(k) => k.into_encoded_bytes(),
        None => {
            let mut k = vec![0u8; 32];
            getrandom::fill(&mut k)
                .map_err(|e| io::Error::other(format!("no random key for --redact: {e}")))?;
            k
        }
    };
    Ok(Some(Redactor::new(&key, policy)))
}

/// On which thread `print_events` runs the decoder.
enum Decoding<'t> {
    /// On this one, every packet also shown to the tap if there is one (a live run's `-w`).
    Here(Option<&'t mut dyn PacketTap>),
    /// On a thread of its own, the outputs on this one (output written in blocks).
    Apart,
}

/// Runs the pipeline with the decoder feeding `sink`, on a second thread when `split`: the
/// run's summary and the number of commands decoded.
fn decode(
    source: &mut (dyn PacketSource + Send),
    split: bool,
    config: FlowConfig,
    sink: &mut dyn Sink,
) -> io::Result<(pipeline::RunSummary, u64)> {
    if split {
        pipeline::decode_split(source, config, sink)
    } else {
        pipeline::decode(source, config, sink)
    }
}

/// Whether to decode on one thread and write the output on another: when `--threads` (or,
/// by default, the machine) allows two and the output is written in blocks.
fn split(capture: &CaptureArgs, blocks: bool) -> bool {
    blocks && threads(capture) > 1
}

/// The threads `--threads` allows, by default the machine's processors.
fn threads(capture: &CaptureArgs) -> usize {
    capture.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        |n| n as usize,
    )
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
