//! The command line as typed, checked by clap. Doc comments here are the `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  The annotated dialogue of every MSN connection:
    msnsniff read capture.pcap
  One connection after another, with every note:
    msnsniff read --group --notes full capture.pcap
  Just alice's chats:
    msnsniff read --only msnc --principal alice@hotmail.com capture.pcap
  JSON events, one a line, for jq:
    msnsniff read --format jsonl capture.pcap | jq 'select(.verb == \"MSG\")'
  A transcript of every conversation (txt, html, json):
    msnsniff transcripts -o out/ capture.pcap
  The MSN connections as a table, or one JSON object a line:
    msnsniff flows capture.pcap
    msnsniff flows --format jsonl capture.pcap
  Each connection's bytes to out/N.client and out/N.server:
    msnsniff flows --dump out/ capture.pcap
  Totals: roles, users, conversations, verbs, errors:
    msnsniff stats capture.pcap
  Transcripts to share: no secrets, no handles, no message text:
    msnsniff transcripts --redact-handles --redact-text -o out/ capture.pcap
  More server ports, several files read as one capture:
    msnsniff flows --port 1863 --port 1864 a.pcap b.pcapng
  A BPF filter, after --:
    msnsniff read capture.pcap -- host 10.0.0.7
  Standard input (tcpdump's -U writes each packet at once; without it packets come in
  bursts of 4 KiB; `msnsniff live` captures by itself):
    tcpdump -U -w - -i eth0 | msnsniff read -";

const LIVE_EXAMPLES: &str = "\
Examples:
  The dialogue of MSN traffic on eth0, as it happens:
    msnsniff live -i eth0
  JSON events, one a line, flushed per line:
    msnsniff live -i eth0 --format jsonl | jq .
  Keep the MSN packets and the transcripts:
    msnsniff live -i eth0 -w msn.pcap --write-msn-only --transcripts out/
  A minute of traffic, then the stats tables:
    msnsniff live -i eth0 --duration 60 --stats
  Only what one host sends or receives:
    msnsniff live -i eth0 -- host 10.0.0.7
  Let a user capture without root:
    sudo setcap cap_net_raw,cap_net_admin=eip $(command -v msnsniff)";

/// A protocol-aware analyzer for MSN Messenger traffic (MSNP2 to MSNP18).
///
/// Reads pcap and pcapng captures, reassembles the TCP connections that carry MSN
/// traffic, and reports what crossed the wire.
#[derive(Debug, Parser)]
#[command(name = "msnsniff", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the annotated dialogue of every MSN connection in a capture (or JSON events).
    ///
    /// `>>>` marks what the client sent, `<<<` what the server sent, `<o>` a note. Line ends
    /// are shown literally (`\r\n`) so that newlines can be counted. Connections are
    /// interleaved in capture order unless `--group` is given. Exit status: 0 when MSN traffic
    /// was decoded, 1 when the capture held none or the selection matched nothing, 2 on
    /// errors.
    #[command(after_help = EXAMPLES)]
    Read(ReadArgs),
    /// List the TCP connections that carry MSN traffic, with their reassembly statistics.
    ///
    /// One row per connection: id, first and last time, client and server, packets and bytes
    /// each way, gaps, how it opened and closed, why it counts as MSN, and anomalies. Exit
    /// status: 0 when MSN connections were found, 1 when none, 2 on errors.
    #[command(after_help = EXAMPLES)]
    Flows(FlowsArgs),
    /// Summarise a capture: connections by role and dialect, principals, conversations,
    /// commands, errors, presence changes, objects, anomalies and gaps.
    ///
    /// Tables (or one JSON document with `--format json`). It streams: memory does not grow
    /// with the capture, every table has a cap and what does not fit is counted as "others".
    /// A conversation row is one switchboard session, its captured connections merged. Exit
    /// status: 0 when MSN traffic was decoded, 1 when the capture held none, 2 on errors.
    #[command(after_help = EXAMPLES)]
    Stats(StatsArgs),

    /// Write a transcript of every conversation in a capture: text, HTML, JSON.
    ///
    /// A conversation is one switchboard session; when the capture holds several of its
    /// participants' connections they are merged and each message appears once. One file per
    /// conversation per format under DIR, named by start time and participants, plus an index
    /// in each format (the HTML index draws a timeline of logins and conversations) and, when
    /// the capture shows them, `contacts.<ext>`: each user's contact lists and groups at the
    /// end of the capture and the contacts' presence changes. Each path is printed as its
    /// file is written, one a line. Exit status: 0 when MSN traffic was decoded, 1 when the
    /// capture held none, 2 on errors.
    #[command(after_help = EXAMPLES)]
    Transcripts(TranscriptsArgs),

    /// Capture MSN traffic live from a network interface, as it happens.
    ///
    /// The same output as `read` (the dialogue, or JSON events, flushed line by line), from
    /// an interface instead of a file. Switchboards and file transfers the protocol announces
    /// on other ports are followed: the kernel keeps all of TCP (narrowed by FILTER) and
    /// msnsniff picks the MSN connections itself. Stops on Ctrl-C or SIGTERM (a second one
    /// ends at once), after `-c` packets or `--duration` seconds; then every connection is
    /// flushed (open ones reported as open), `--stats` and `--transcripts` are written, and
    /// the packet counts go to stderr. Needs the right to capture: run as root, or grant the
    /// binary `cap_net_raw,cap_net_admin`. Exit status: 0 when stopped, 2 on errors (no
    /// permission, no such interface, a bad filter, the interface went down).
    #[command(after_help = LIVE_EXAMPLES)]
    Live(LiveArgs),

    /// List the network interfaces msnsniff can capture on: name, description, addresses
    /// and flags (up, running, loopback, wireless).
    Interfaces(InterfacesArgs),

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print a man page (roff) built from these same definitions: msnsniff(1), or with a
    /// subcommand's name its own page (msnsniff-read(1)...); `--dir DIR` writes them all.
    ///
    /// Each page has the options, EXIT STATUS, ENVIRONMENT, EXAMPLES and SEE ALSO. Read one
    /// with `msnsniff man read | man -l -`; `make install` installs them all.
    Man(ManArgs),
}

/// Which capture to read and what counts as MSN traffic.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Capture files (pcap or pcapng), read in order as one capture; `-` is standard input.
    /// A pcapng file's interfaces may differ in link type: each packet is read with its own.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// A server port that marks a connection as MSN (repeatable) [default: 1863].
    ///
    /// Switchboard and file-transfer addresses announced by the protocol itself are followed
    /// whatever their port, and so is a connection whose first bytes are an MSNP command.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,

    /// A BPF filter expression (tcpdump syntax), after `--`, compiled for each link type the
    /// capture holds.
    #[arg(last = true, value_name = "FILTER")]
    pub filter: Vec<String>,

    /// No progress line on stderr (it is shown only for large files, on a terminal).
    #[arg(long, short)]
    pub quiet: bool,

    /// MiB that all connections together may hold in buffers: half for reassembly (bytes
    /// waiting behind a hole, and recent bytes kept to check retransmissions), half for lines
    /// and payloads in progress. Past either half the oldest buffer is given up (a gap with
    /// reason `capacity`, or a cut payload; anomaly `stream.memcap`). `read --group` may also
    /// keep half of it in output waiting to be printed.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MEMCAP_MIB,
          value_parser = clap::value_parser!(u32).range(2..=65536))]
    pub memcap: u32,

    /// Processors to use: 1 runs everything on one thread; with 2 or more, the capture
    /// files are read on one thread, decoded on a second and the output written on a third
    /// (the output is the same) [default: 2 when the machine has two processors or more,
    /// else 1].
    ///
    /// Files on disk are read ahead (standard input and named pipes are decoded as their
    /// packets come), except by `transcripts`, whose decoding and writing keep two
    /// processors busy. `stats`, `transcripts` and `read` write on a thread apart from the
    /// decoding, `read` except to a terminal or with `--line-buffered`, so that each line is
    /// shown as soon as it is complete; `flows` writes on the decoding thread (its rows are
    /// little work). `live` uses one.
    #[arg(long, short = 'j', value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
}

/// The default of `--memcap`, in MiB.
pub const DEFAULT_MEMCAP_MIB: u32 = (crate::flow::DEFAULT_MEMCAP >> 20) as u32;

impl CaptureArgs {
    /// The ports to use, with the default applied.
    pub fn ports(&self) -> Vec<u16> {
        if self.ports.is_empty() {
            vec![1863]
        } else {
            self.ports.clone()
        }
    }

    /// The BPF filter as one expression, if any.
    pub fn filter(&self) -> Option<String> {
        (!self.filter.is_empty()).then(|| self.filter.join(" "))
    }
}

#[derive(Debug, Args)]
pub struct FlowsArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FlowsFormat::Table)]
    pub format: FlowsFormat,

    /// Write each connection's reassembled bytes to DIR/N.client and DIR/N.server (gaps left
    /// out; they are listed in the JSON output).
    #[arg(long, value_name = "DIR", conflicts_with_all = REDACT_IDS)]
    pub dump: Option<std::path::PathBuf>,

    /// Colour the table: client blue, server green. `auto` colours only a terminal, not when
    /// NO_COLOR is set, and always when CLICOLOR_FORCE is.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    #[command(flatten)]
    pub redact: RedactArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlowsFormat {
    /// A table for people, as wide as the terminal (or $COLUMNS) allows.
    Table,
    /// Tab-separated values with a header line, for awk and cut.
    Tsv,
    /// One JSON object per connection, a line each.
    Jsonl,
    /// One JSON array.
    Json,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,

    /// Also write every object transferred whole to a file of its own under DIR, as
    /// `read --extract` does, and count what was written.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub redact: RedactArgs,
}

#[derive(Debug, Args)]
pub struct TranscriptsArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// The directory to write the transcripts to (created if missing).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: std::path::PathBuf,

    /// Formats to write (comma-separated): txt, html, json [default: all three].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Vec<TranscriptFormatArg>,

    #[command(flatten)]
    pub redact: RedactArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TranscriptFormatArg {
    /// Plain text.
    Txt,
    /// Self-contained HTML pages, and an index with a timeline.
    Html,
    /// One JSON document per conversation (docs/transcript.schema.json).
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    /// Titled tables for people.
    Table,
    /// One JSON document.
    Json,
}

/// What to hide in the output, so that it can be shared (docs/security.md).
#[derive(Clone, Debug, Default, Args)]
pub struct RedactArgs {
    /// Replace credentials and secrets with tokens such as `redacted:3f9a1c`, in every format.
    ///
    /// Password hashes and salts, Passport and SSO tickets, nonces and responses, challenges
    /// and their answers, switchboard and MSNFTP cookies, MSPAuth and MSPProf. The same
    /// secret gives the same token within a run; MSNSNIFF_REDACT_KEY keeps tokens the same
    /// across runs. Addresses, handles and message text stay.
    #[arg(long)]
    pub redact: bool,

    /// Also replace every handle with a pseudonym (`user-7@redacted`, numbered in order of
    /// appearance) and friendly names and phone numbers with tokens. Implies --redact.
    #[arg(long)]
    pub redact_handles: bool,

    /// Also replace message text, handwriting and personal messages with tokens. Implies
    /// --redact.
    #[arg(long)]
    pub redact_text: bool,
}

/// The ids of the redaction options, for the options that write raw bytes and refuse them.
const REDACT_IDS: [&str; 3] = ["redact", "redact_handles", "redact_text"];

impl RedactArgs {
    /// What to redact, or `None` for no redaction.
    pub fn policy(&self) -> Option<crate::redact::Policy> {
        (self.redact || self.redact_handles || self.redact_text).then_some(crate::redact::Policy {
            handles: self.redact_handles,
            text: self.redact_text,
        })
    }
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    #[command(flatten)]
    pub events: EventArgs,
}

/// How `read` and `live` print what was decoded, and what they select.
#[derive(Debug, Args)]
pub struct EventArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReadFormat::Dialogue)]
    pub format: ReadFormat,

    /// Which `<o>` notes to print.
    #[arg(long, value_enum, default_value_t = NotesArg::Brief)]
    pub notes: NotesArg,

    /// Print one connection after another instead of interleaving them in capture order
    /// (the dialogue only: JSON events carry `flow` to group by).
    ///
    /// A connection is printed once it and those before it have closed; what waits beyond
    /// half of --memcap (16 MiB by default) goes to a temporary file in $TMPDIR, removed when
    /// the run ends.
    #[arg(long)]
    pub group: bool,

    /// Colour: client blue, server green, notes bluish green, line ends light grey. `auto`
    /// colours only a terminal, not when NO_COLOR is set, and always when CLICOLOR_FORCE is.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// A time before each dialogue line: iso (2011-08-10T03:17:29.750284Z), epoch (seconds,
    /// six decimals), relative (since the first line), delta (since the previous line).
    #[arg(long, value_enum, default_value_t = TimeArg::None, value_name = "FORMAT")]
    pub time: TimeArg,

    /// The frame number (Wireshark's frame.number) before each dialogue line.
    #[arg(long)]
    pub frames: bool,

    /// Write each line as soon as it is complete, even to a pipe or a file (as grep's
    /// option; a terminal and `live` always are). Without it, output to a pipe is written in
    /// blocks, which is faster.
    #[arg(long)]
    pub line_buffered: bool,

    /// Times in this machine's time zone (TZ) instead of UTC, with their offset.
    #[arg(long)]
    pub local: bool,

    /// Only these channels (comma-separated): ns, sb, msnc.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CHANNELS")]
    pub only: Vec<ChannelArg>,

    /// Only these connections (ids from `msnsniff flows`; comma-separated or repeated).
    #[arg(long = "flow", value_name = "N", value_delimiter = ',')]
    pub flows: Vec<u64>,

    /// Only the connections of this signed-in user.
    #[arg(long, value_name = "HANDLE")]
    pub principal: Option<String>,

    /// Only the connections where this handle is the signed-in user or a participant.
    #[arg(long, value_name = "HANDLE")]
    pub handle: Option<String>,

    /// Only error replies, each after the request that caused it.
    #[arg(long)]
    pub errors: bool,

    /// Only what was captured at or after TIME: `2011-08-10T03:17:29Z`, `2011-08-10
    /// 03:17:29` (UTC unless an offset such as +02:00 follows), or epoch seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<crate::capture::Timestamp>,

    /// Only what was captured at or before TIME (as for --since).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<crate::capture::Timestamp>,

    /// Only these commands (comma-separated), e.g. MSG,NLN; errors by number, e.g. 217.
    /// MSNFTP blocks, which are no commands, are left out.
    #[arg(long, value_delimiter = ',', value_name = "VERBS")]
    pub verb: Vec<String>,

    /// Write every object transferred whole (MSNFTP files...) to a file of its own under DIR,
    /// with a JSON sidecar NAME.json beside it (sender, receiver, sizes, sha256, missing
    /// ranges). Names from the capture are made safe, never used as paths; nothing is
    /// overwritten (a taken name is numbered). DIR is created if missing.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub redact: RedactArgs,
}

#[derive(Debug, Args)]
pub struct LiveArgs {
    /// The interface to capture on [default: libpcap's default device]; `msnsniff
    /// interfaces` lists them.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,

    /// Do not put the interface into promiscuous mode.
    #[arg(long)]
    pub no_promisc: bool,

    /// Bytes captured of each packet.
    #[arg(long, value_name = "BYTES", default_value_t = crate::capture::DEFAULT_SNAPLEN,
          value_parser = clap::value_parser!(u32).range(64..))]
    pub snaplen: u32,

    /// The kernel's capture buffer, in MiB: larger drops fewer packets in bursts.
    #[arg(long, value_name = "MIB", default_value_t = crate::capture::DEFAULT_BUFFER_MIB,
          value_parser = clap::value_parser!(u32).range(1..=2047))]
    pub buffer_size: u32,

    /// A server port that marks a connection as MSN (repeatable) [default: 1863].
    ///
    /// Switchboard and file-transfer addresses announced by the protocol itself are followed
    /// whatever their port, and so is a connection whose first bytes are an MSNP command.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,

    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,

    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Also write the packets captured to FILE (pcap), to be read again with `msnsniff read`
    /// or Wireshark.
    #[arg(short = 'w', long = "write", value_name = "FILE", conflicts_with_all = REDACT_IDS)]
    pub write: Option<std::path::PathBuf>,

    /// With -w, write only the MSN connections' packets (each from its first packet, the
    /// handshake included).
    #[arg(long, requires = "write")]
    pub write_msn_only: bool,

    /// When the run ends, print the `stats` tables: on stdout after the dialogue, on stderr
    /// with `--format jsonl`/`json` (stdout stays pure JSON).
    #[arg(long)]
    pub stats: bool,

    /// When the run ends, write the transcripts of what was captured to DIR (as
    /// `msnsniff transcripts -o DIR`; all three formats).
    #[arg(long, value_name = "DIR")]
    pub transcripts: Option<std::path::PathBuf>,

    /// MiB that all connections together may hold in buffers (as for `read`).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MEMCAP_MIB,
          value_parser = clap::value_parser!(u32).range(2..=65536))]
    pub memcap: u32,

    /// Close a connection (as `idle`) after this many seconds without a packet.
    #[arg(long, value_name = "SECS", default_value_t = crate::flow::LIVE_IDLE_CLOSE.as_secs())]
    pub idle_close: u64,

    /// No "listening on" line and no final counts on stderr.
    #[arg(long, short)]
    pub quiet: bool,

    #[command(flatten)]
    pub events: EventArgs,

    /// A BPF filter expression (tcpdump syntax), after `--`. It narrows what the kernel
    /// keeps (all of TCP otherwise, so that announced switchboards on any port are seen).
    #[arg(last = true, value_name = "FILTER")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (read, flows, stats, transcripts, live...).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,

    /// Write every page to DIR (msnsniff.1, msnsniff-read.1...) and print their paths.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct InterfacesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadFormat {
    /// The annotated dialogue (`>>>` / `<<<` / `<o>`).
    Dialogue,
    /// One JSON event a line.
    Jsonl,
    /// One JSON array of events.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimeArg {
    /// No time: the classic notation.
    None,
    /// ISO 8601, UTC with Z (or local with its offset, with --local).
    Iso,
    /// Seconds since the epoch.
    Epoch,
    /// Seconds since the first line printed.
    Relative,
    /// Seconds since the previous line printed.
    Delta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NotesArg {
    /// No notes: only what crossed the wire.
    None,
    /// Connections, gaps, anomalies and what commands mean.
    Brief,
    /// Also reply delays and every change of role, dialect, user or client MSNC level.
    Full,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// A time as `--since` and `--until` take it: epoch seconds (`1312946249.75`), or a date and
/// time (`2011-08-10T03:17:29`, a space for the `T` is fine, seconds and their fraction
/// optional) in UTC, or with `Z` or an offset (`+02:00`, `-0500`).
pub fn parse_time(text: &str) -> Result<crate::capture::Timestamp, String> {
    use crate::capture::Timestamp;
    let t = text.trim();
    let bad = || {
        format!(
            "`{text}`: a time is 2011-08-10T03:17:29Z (an offset instead of Z is fine) or epoch seconds"
        )
    };
    let fraction = |f: &str| -> Result<u32, String> {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        format!("{f:0<9}").parse::<u32>().map_err(|_| bad())
    };
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !t.is_empty() {
        let (s, f) = t.split_once('.').unwrap_or((t, ""));
        let secs: i64 = s.parse().map_err(|_| bad())?;
        let nanos = if f.is_empty() { 0 } else { fraction(f)? };
        return Ok(Timestamp::new(secs, nanos));
    }
    let (date, rest) = t.split_at(t.find(['T', ' ']).ok_or_else(bad)?);
    let rest = &rest[1..];
    let d: Vec<&str> = date.split('-').collect();
    let [y, m, day] = d.as_slice() else {
        return Err(bad());
    };
    let (y, m, day): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        day.parse().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    // The zone: Z, +HH:MM, -HHMM, or nothing (UTC).
    let (clock, offset) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, z) = rest.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let h: i64 = digits[..2].parse().map_err(|_| bad())?;
        let mi: i64 = digits[2..].parse().map_err(|_| bad())?;
        (c, sign * (h * 3600 + mi * 60))
    } else {
        (rest, 0)
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(bad());
    }
    let num = |p: &str, max: i64| -> Result<i64, String> {
        let v: i64 = p.parse().map_err(|_| bad())?;
        if (0..=max).contains(&v) {
            Ok(v)
        } else {
            Err(bad())
        }
    };
    let (h, mi) = (num(parts[0], 23)?, num(parts[1], 59)?);
    let sec = parts.get(2).map_or(Ok(0), |p| num(p, 60))?;
    let nanos = if frac.is_empty() { 0 } else { fraction(frac)? };
    // Days from the civil date (Howard Hinnant's days_from_civil).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(Timestamp::new(
        days * 86_400 + h * 3600 + mi * 60 + sec - offset,
        nanos,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_since_and_until_take_them() {
        use crate::capture::Timestamp;
        let t = Timestamp::new(1_312_946_249, 750_284_000);
        assert_eq!(parse_time("1312946249.750284"), Ok(t));
        assert_eq!(parse_time("2011-08-10T03:17:29.750284Z"), Ok(t));
        assert_eq!(parse_time("2011-08-10 03:17:29.750284"), Ok(t));
        assert_eq!(parse_time("2011-08-10T05:17:29.750284+02:00"), Ok(t));
        assert_eq!(parse_time("2011-08-09T22:17:29.750284-0500"), Ok(t));
        assert_eq!(
            parse_time("2011-08-10T03:17"),
            Ok(Timestamp::new(1_312_946_220, 0))
        );
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(Timestamp::new(0, 0)));
        assert_eq!(
            parse_time("2000-02-29T00:00:00Z"),
            Ok(Timestamp::new(951_782_400, 0))
        );
        for bad in [
            "",
            "yesterday",
            "2011-13-01T00:00",
            "2011-08-10T25:00",
            "2011-08-10",
            "1.2.3",
            "2011-08-10T03:17+2",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        // The words of the error.
        assert!(
            parse_time("soon")
                .unwrap_err()
                .contains("2011-08-10T03:17:29Z")
        );
    }

    /// Every `msnsniff ...` line of the examples parses as written (pipes cut off).
    #[test]
    fn every_example_parses() {
        let mut seen = 0;
        for line in EXAMPLES.lines().chain(LIVE_EXAMPLES.lines()) {
            // Commands are indented by four, their descriptions by two.
            let Some(line) = line.strip_prefix("    ") else {
                continue;
            };
            let Some(start) = line.find("msnsniff ") else {
                continue;
            };
            if line.starts_with("sudo") {
                continue;
            }
            let command = line[start..].split(" | ").next().unwrap_or_default();
            let words: Vec<String> = command
                .split_whitespace()
                .map(|w| w.trim_matches('\'').to_string())
                .collect();
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("{command}: {e}");
            }
            seen += 1;
        }
        assert!(seen >= 14, "{seen}");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ChannelArg {
    Ns,
    Sb,
    Msnc,
}
