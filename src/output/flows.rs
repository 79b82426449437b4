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
use comfy_table::{Attribute, Cell, Color, Table, presets::UTF8_FULL_CONDENSED};
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

/// A writer of one row (a JSON line, a TSV line) for [`FlowsReport::streaming`].
pub type RowWriter<'a> = Box<dyn FnMut(&FlowRow) -> io::Result<()> + 'a>;

/// The rows of the connections as the decoder reports them closed: collected (for the table
/// and the JSON array, which need them all), or written as soon as they can be in id order
/// ([`FlowsReport::streaming`], for JSON Lines and TSV). Streaming holds only the rows that
/// closed before a connection with a smaller id, so memory does not grow with the number of
/// connections that have ended (a connection open for the whole capture holds back those
/// behind it).
#[derive(Default)]
pub struct FlowsReport<'a> {
    rows: Vec<FlowRow>,
    stream: Option<RowWriter<'a>>,
    /// Streaming: the next id to write, and the rows waiting for it.
    next: u64,
    pending: std::collections::BTreeMap<u64, FlowRow>,
}

impl<'a> FlowsReport<'a> {
    pub fn new() -> FlowsReport<'a> {
        FlowsReport::default()
    }

    /// Rows go to `write` in id order as soon as every smaller id has closed.
    pub fn streaming(write: RowWriter<'a>) -> FlowsReport<'a> {
        FlowsReport {
            stream: Some(write),
            next: 1,
            ..FlowsReport::default()
        }
    }

    /// The rows of every connection, in id order (none when streaming: they were written).
    pub fn rows(mut self) -> io::Result<Vec<FlowRow>> {
        if let Some(write) = &mut self.stream {
            // Ids that never closed cannot exist (every connection closes by the end), but a
            // gap in the ids must not keep rows unwritten.
            for row in std::mem::take(&mut self.pending).into_values() {
                write(&row)?;
            }
            return Ok(Vec::new());
        }
        self.rows.sort_by_key(|r| r.summary.id);
        Ok(self.rows)
    }

    fn add(&mut self, row: FlowRow) -> io::Result<()> {
        let Some(write) = &mut self.stream else {
            self.rows.push(row);
            return Ok(());
        };
        self.pending.insert(row.summary.id.0, row);
        while let Some(row) = self.pending.remove(&self.next) {
            write(&row)?;
            self.next += 1;
        }
        Ok(())
    }
}

impl Sink for FlowsReport<'_> {
    fn wants_commands(&self) -> bool {
        false
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if let Event::ConnectionClosed {
            summary,
            role,
            dialect,
            principal,
            ..
        } = ev
        {
            self.add(FlowRow {
                summary: summary.clone(),
                role: *role,
                dialect: *dialect,
                principal: principal.clone(),
            })?;
        }
        Ok(())
    }
}

/// How to lay the table out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// The terminal's width: cells wrap inside their columns so that each line fits. `None`
    /// (a pipe or a file) keeps one line per row, however wide, for grep.
    pub width: Option<u16>,
    /// Colour as the dialogue does: the client blue, the server green, the header bold.
    pub color: bool,
}

/// The table's columns, and the order in which they are left out when the table must fit a
/// narrow terminal (first left out first); `id`, `role`, `client` and `server` always stay.
pub const COLUMNS: [&str; 13] = [
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
];
pub const DROP_ORDER: [usize; 9] = [11, 4, 10, 8, 7, 12, 9, 3, 2];

/// The summaries as a table for a terminal. With a width, columns are left out (in
/// [`DROP_ORDER`]) until each line fits, and a last line names them; cells never wrap, so
/// addresses and times stay whole.
pub fn table(rows: &[FlowRow], layout: Layout) -> String {
    let cells: Vec<[String; 13]> = rows.iter().map(row_cells).collect();
    let mut hidden: Vec<usize> = Vec::new();
    let mut drops = DROP_ORDER.iter();
    loop {
        // Measured without colour: escape sequences take no room on the screen.
        let plain = render(&cells, &hidden, false);
        let widest = plain.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        let fits = layout.width.is_none_or(|w| widest <= usize::from(w));
        match drops.next() {
            Some(&col) if !fits => hidden.push(col),
            _ => {
                let text = if layout.color {
                    render(&cells, &hidden, true)
                } else {
                    plain
                };
                if hidden.is_empty() {
                    return text;
                }
                let mut names: Vec<&str> = hidden.iter().map(|&c| COLUMNS[c]).collect();
                names.sort_by_key(|n| COLUMNS.iter().position(|c| c == n));
                let note = format!(
                    "(left out to fit {} columns: {}; `--format tsv` or `jsonl` has them all)",
                    layout.width.unwrap_or_default(),
                    names.join(", ")
                );
                return format!("{text}\n{}", wrap(&note, layout.width));
            }
        }
    }
}

/// `text` broken at spaces into lines of at most `width` characters.
fn wrap(text: &str, width: Option<u16>) -> String {
    let Some(width) = width.map(usize::from) else {
        return text.to_string();
    };
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let Some(line) = lines.last_mut() else {
            break;
        };
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if len > 0 {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}

fn render(cells: &[[String; 13]], hidden: &[usize], color: bool) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    if color {
        t.enforce_styling();
    }
    let shown: Vec<usize> = (0..COLUMNS.len()).filter(|c| !hidden.contains(c)).collect();
    t.set_header(shown.iter().map(|&c| {
        let cell = Cell::new(COLUMNS[c]);
        if color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    for row in cells {
        t.add_row(shown.iter().map(|&c| {
            let cell = Cell::new(&row[c]);
            match c {
                5 if color => cell.fg(Color::Blue),
                6 if color => cell.fg(Color::Green),
                _ => cell,
            }
        }));
    }
    t.to_string()
}

/// One row's cells, in [`COLUMNS`] order.
fn row_cells(row: &FlowRow) -> [String; 13] {
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
    [
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
    ]
}

/// The columns of `--format tsv`, in order.
pub const TSV_COLUMNS: [&str; 19] = [
    "id",
    "role",
    "dialect",
    "principal",
    "first_ts",
    "last_ts",
    "client",
    "server",
    "community_id",
    "client_packets",
    "client_bytes",
    "server_packets",
    "server_bytes",
    "gap_count",
    "gap_bytes",
    "opening",
    "closing",
    "detection",
    "anomalies",
];

/// The header line of `--format tsv`, tab-separated values for awk and cut; a line per
/// connection follows from [`tsv_row`]. Times are epoch seconds with nine decimals; an empty value is `-`; anomalies
/// are `name=count` joined by commas. Text from the capture (the principal) is escaped as the
/// terminal form does, so it holds no tab or newline.
pub fn tsv_header(out: &mut dyn io::Write) -> io::Result<()> {
    writeln!(out, "{}", TSV_COLUMNS.join("\t"))
}

/// One connection's line of `--format tsv`.
pub fn tsv_row(out: &mut dyn io::Write, row: &FlowRow) -> io::Result<()> {
    let s = &row.summary;
    let dialect = row.dialect.map_or("-".to_string(), |d| d.to_string());
    let principal = row.principal.as_deref().map_or("-".into(), escape_text);
    let anomalies = if s.anomalies.is_empty() {
        "-".to_string()
    } else {
        s.anomalies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let fields = [
        s.id.to_string(),
        wire_role(row.role).to_string(),
        dialect,
        principal,
        s.first_ts.to_string(),
        s.last_ts.to_string(),
        s.client.to_string(),
        s.server.to_string(),
        crate::flow::community_id(s.client, s.server),
        s.client_packets.to_string(),
        s.client_bytes.to_string(),
        s.server_packets.to_string(),
        s.server_bytes.to_string(),
        s.gap_count.to_string(),
        s.gap_bytes.to_string(),
        opening_word(s.opening).to_string(),
        closing_word(s).replace(' ', "_"),
        detection_word(&s.detection).replace(' ', "_"),
        anomalies,
    ];
    writeln!(out, "{}", fields.join("\t"))
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
