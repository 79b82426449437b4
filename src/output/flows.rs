//! `msnsniff flows`: one row per MSN connection (a comfy-table table, or JSON).
//!
//! The rows are the connection summaries the decoder reports when a connection closes
//! ([`Event::ConnectionClosed`]): like every other format, this one knows events, not packets.
//! (`--dump`, which needs the raw bytes, is [`crate::output::dump`].) Rows come out in
//! connection-id order whatever order the connections closed in. Memory is one
//! [`FlowSummary`] per MSN connection (its gap list is capped).

use crate::Direction;
use crate::event::{Event, Role, Sink};
use crate::flow::{Closing, Detection, FlowSummary, Opening};
use crate::msnp::Dialect;
use crate::output::json::wire::role as wire_role;
use crate::output::text::{escape_text, utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::io;

/// One row: a closed connection's summary with what the decoder found of it.
#[derive(Clone, Debug)]
pub struct FlowRow {
    pub summary: FlowSummary,
    pub role: Role,
    pub dialect: Option<Dialect>,
    pub principal: Option<String>,
}

impl FlowRow {
    /// The row as JSON writes it.
    pub fn wire(&self) -> crate::output::json::wire::FlowRow<'_> {
        crate::output::json::wire::flow_row(
            &self.summary,
            self.role,
            self.dialect,
            self.principal.as_deref(),
        )
    }
}

/// Collects the rows of the connections as the decoder reports them closed.
#[derive(Default)]
pub struct FlowsReport {
    rows: Vec<FlowRow>,
}

impl FlowsReport {
    pub fn new() -> FlowsReport {
        FlowsReport::default()
    }

    /// The rows of every connection, in id order.
    pub fn rows(mut self) -> Vec<FlowRow> {
        self.rows.sort_by_key(|r| r.summary.id);
        self.rows
    }
}

impl Sink for FlowsReport {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if let Event::ConnectionClosed {
            summary,
            role,
            dialect,
            principal,
            ..
        } = ev
        {
            self.rows.push(FlowRow {
                summary: summary.clone(),
                role: *role,
                dialect: *dialect,
                principal: principal.clone(),
            });
        }
        Ok(())
    }
}

/// The summaries as a table for a terminal.
pub fn table(rows: &[FlowRow]) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "id",
        "role",
        "user",
        "first (UTC)",
        "last",
        "client",
        "server",
        "c→s pkt/B",
        "s→c pkt/B",
        "gaps",
        "open / close",
        "found by",
        "anomalies",
    ]);
    for row in rows {
        let s = &row.summary;
        let role = match row.dialect {
            Some(d) => format!("{} {d}", wire_role(row.role)),
            None => wire_role(row.role).to_string(),
        };
        // A handle from the capture: shown as the terminal shows capture text.
        let user = row
            .principal
            .as_deref()
            .map_or("-".to_string(), escape_text);
        let gaps = if s.gap_count == 0 {
            "-".to_string()
        } else {
            format!("{} ({} B)", s.gap_count, s.gap_bytes)
        };
        let anomalies = if s.anomalies.is_empty() {
            "-".to_string()
        } else {
            s.anomalies
                .iter()
                .map(|(k, v)| format!("{k}×{v}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (first, last) = (utc(s.first_ts), utc(s.last_ts));
        // The last time without its date when both are on the same day.
        let last = match (first.split_once(' '), last.split_once(' ')) {
            (Some((d1, _)), Some((d2, time))) if d1 == d2 => time.to_string(),
            _ => last,
        };
        t.add_row([
            s.id.to_string(),
            role,
            user,
            first,
            last,
            s.client.to_string(),
            s.server.to_string(),
            format!("{} / {}", s.client_packets, s.client_bytes),
            format!("{} / {}", s.server_packets, s.server_bytes),
            gaps,
            format!("{} / {}", opening_word(s.opening), closing_word(s)),
            detection_word(&s.detection),
            anomalies,
        ]);
    }
    // One line per row, whatever the terminal's width: wrapped cells would break addresses
    // and times apart.
    t.to_string()
}

fn opening_word(o: Opening) -> &'static str {
    match o {
        Opening::Syn => "SYN",
        Opening::SynAck => "SYN/ACK",
        Opening::Midstream => "mid-stream",
    }
}

fn closing_word(s: &FlowSummary) -> String {
    match (s.closing, s.reset_by) {
        (Closing::Fin, _) => "FIN".into(),
        (Closing::HalfClosed, _) => "half FIN".into(),
        (Closing::Rst, Some(Direction::ClientToServer)) => "RST (client)".into(),
        (Closing::Rst, Some(Direction::ServerToClient)) => "RST (server)".into(),
        (Closing::Rst, None) => "RST".into(),
        (Closing::Open, _) => "open".into(),
        (Closing::Evicted, _) => "evicted".into(),
        (Closing::Idle, _) => "idle".into(),
    }
}

fn detection_word(d: &Detection) -> String {
    match d {
        Detection::Port { port } => format!("port {port}"),
        Detection::Announced {
            kind, announced_by, ..
        } => {
            let what = match kind {
                crate::flow::ExpectedKind::Switchboard => "SB",
                crate::flow::ExpectedKind::FileTransfer => "MSNFTP",
                crate::flow::ExpectedKind::Notification => "NS",
            };
            format!("{what} announced on #{announced_by}")
        }
        Detection::Content => "content".into(),
    }
}
