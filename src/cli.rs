//! The command line as typed, checked by clap. Doc comments here are the `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  msnsniff flows capture.pcap                 table of the MSN connections
  msnsniff flows --format jsonl capture.pcap  the same, one JSON object a line
  msnsniff flows --dump out/ capture.pcap     write out/N.client and out/N.server
  msnsniff flows --port 1863 --port 1864 a.pcap b.pcapng
  tcpdump -w - -i eth0 | msnsniff flows -      read standard input
  msnsniff flows capture.pcap -- host 10.0.0.7 a BPF filter after --";

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
    /// List the TCP connections that carry MSN traffic, with their reassembly statistics.
    ///
    /// One row per connection: id, first and last time, client and server, packets and bytes
    /// each way, gaps, how it opened and closed, why it counts as MSN, and anomalies. Exit
    /// status: 0 when MSN connections were found, 1 when none, 2 on errors.
    #[command(after_help = EXAMPLES)]
    Flows(FlowsArgs),
}

/// Which capture to read and what counts as MSN traffic.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Capture files (pcap or pcapng), read in order as one capture; `-` is standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// A server port that marks a connection as MSN (repeatable) [default: 1863].
    ///
    /// Switchboard and file-transfer addresses announced by the protocol itself are followed
    /// whatever their port, and so is a connection whose first bytes are an MSNP command.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,

    /// A BPF filter expression (tcpdump syntax), after `--`.
    #[arg(last = true, value_name = "FILTER")]
    pub filter: Vec<String>,
}

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
    #[arg(long, value_name = "DIR")]
    pub dump: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlowsFormat {
    /// A table for people.
    Table,
    /// One JSON object per connection, a line each.
    Jsonl,
    /// One JSON array.
    Json,
}
