//! `msnsniff flows`: one row per MSN connection (a table as comfy-table draws it, or JSON).
//!
//! The rows are the connection summaries the decoder reports when a connection closes
//! ([`Event::ConnectionClosed`]): like every other format, this one knows events, not packets.
//! (`--dump`, which needs the raw bytes, is [`crate::output::dump`].) Rows come out in
//! connection-id order whatever order the connections closed in, each written as soon as
//! every smaller id has closed (JSON Lines, TSV, the JSON array); the table, which needs every
//! row's width before its first line, keeps its rows' cells in a temporary file beyond
//! [`TABLE_ROWS_IN_MEMORY`], so memory does not grow with the connections that have ended.

use crate::Direction;
use crate::event::{Event, Role, Sink};
use crate::flow::{Closing, Detection, FlowSummary, Opening};
use crate::msnp::Dialect;
use crate::output::json::wire::role as wire_role;
use crate::output::text::{escape_text, utc};
#[cfg(test)]
use comfy_table::{Attribute, Cell, Color, Table, presets::UTF8_FULL_CONDENSED};
use std::io::{self, Write as _};
use unicode_width::UnicodeWidthStr;

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

/// A writer of one row (a JSON line, a TSV line, a row of the table) for [`FlowsReport`].
pub type RowWriter<'a> = Box<dyn FnMut(&FlowRow) -> io::Result<()> + 'a>;

/// The rows of the connections as the decoder reports them closed, written in id order as
/// soon as every smaller id has closed. Only the rows that closed before a connection with a
/// smaller id are held, so memory does not grow with the number of connections that have
/// ended (a connection open for the whole capture holds back those behind it).
pub struct FlowsReport<'a> {
    write: RowWriter<'a>,
    /// The next id to write, and the rows waiting for it.
    next: u64,
    pending: std::collections::BTreeMap<u64, FlowRow>,
}

impl<'a> FlowsReport<'a> {
    /// Rows go to `write` in id order as soon as every smaller id has closed.
    pub fn new(write: RowWriter<'a>) -> FlowsReport<'a> {
        FlowsReport {
            write,
            next: 1,
            pending: std::collections::BTreeMap::new(),
        }
    }

    /// Writes the rows still held back, in id order. Ids that never closed cannot exist
    /// (every connection closes by the end), but a gap in the ids must not keep rows unwritten.
    pub fn finish_rows(mut self) -> io::Result<()> {
        for row in std::mem::take(&mut self.pending).into_values() {
            (self.write)(&row)?;
        }
        Ok(())
    }

    fn add(&mut self, row: FlowRow) -> io::Result<()> {
        self.pending.insert(row.summary.id.0, row);
        while let Some(row) = self.pending.remove(&self.next) {
            (self.write)(&row)?;
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

/// A row's cells, in [`COLUMNS`] order (a cell of several lines holds `\n`).
pub type Cells = [String; 13];

/// Rows of the table kept in memory; past them, rows go to a temporary file.
pub const TABLE_ROWS_IN_MEMORY: usize = 4096;

/// The table's rows as they come (in id order), and each column's width so far: in memory up
/// to [`TABLE_ROWS_IN_MEMORY`] rows, in a temporary file beyond, so that a capture of many
/// connections does not hold them all (60,000 rows took 750 MB as a comfy-table). The table
/// is then drawn a line at a time ([`TableRows::write`]), as comfy-table's
/// `UTF8_FULL_CONDENSED` draws it; a test holds the two to the same bytes.
pub struct TableRows {
    memory: Vec<Cells>,
    /// Rows kept in memory before they go to the file ([`TABLE_ROWS_IN_MEMORY`]).
    keep: usize,
    spill: Option<io::BufWriter<std::fs::File>>,
    spilled: usize,
    /// The widest line of each column (header included), in terminal columns.
    widths: [usize; 13],
}

impl Default for TableRows {
    fn default() -> Self {
        TableRows {
            memory: Vec::new(),
            keep: TABLE_ROWS_IN_MEMORY,
            spill: None,
            spilled: 0,
            widths: COLUMNS.map(UnicodeWidthStr::width),
        }
    }
}

/// An error of the table's temporary file, saying so.
fn spill_error(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("the temporary file of the flows table: {e}"),
    )
}

/// What stands for a cell's line break in the temporary file (cells hold no control
/// character of their own: text from the capture is escaped).
const SPILLED_BREAK: char = '\u{1e}';

impl TableRows {
    pub fn new() -> TableRows {
        TableRows::default()
    }

    /// One more row, after those given before.
    pub fn push(&mut self, row: &FlowRow) -> io::Result<()> {
        self.push_cells(row_cells(row))
    }

    fn push_cells(&mut self, cells: Cells) -> io::Result<()> {
        for (width, cell) in self.widths.iter_mut().zip(&cells) {
            for line in cell.split('\n') {
                *width = (*width).max(line.width());
            }
        }
        self.memory.push(cells);
        if self.memory.len() >= self.keep {
            self.spill_rows()?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.spilled == 0
    }

    fn spill_rows(&mut self) -> io::Result<()> {
        if self.spill.is_none() {
            self.spill = Some(io::BufWriter::new(crate::output::spill_file(
                "flows table",
            )?));
        }
        let out = self.spill.as_mut().expect("made above");
        let mut line = String::new();
        for cells in self.memory.drain(..) {
            line.clear();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                line.extend(
                    cell.chars()
                        .map(|c| if c == '\n' { SPILLED_BREAK } else { c }),
                );
            }
            line.push('\n');
            out.write_all(line.as_bytes()).map_err(spill_error)?;
            self.spilled += 1;
        }
        Ok(())
    }

    /// Every row in order: those in the temporary file, then those in memory.
    fn for_each(&mut self, mut f: impl FnMut(&Cells) -> io::Result<()>) -> io::Result<()> {
        use std::io::{BufRead, Seek};
        if let Some(spill) = &mut self.spill {
            let spilled = spill_error;
            spill.flush().map_err(spilled)?;
            let file = spill.get_mut();
            file.seek(io::SeekFrom::Start(0)).map_err(spilled)?;
            let mut lines = io::BufReader::new(&*file);
            let mut line = String::new();
            for _ in 0..self.spilled {
                line.clear();
                lines.read_line(&mut line).map_err(spilled)?;
                let mut cells = Cells::default();
                for (cell, text) in cells
                    .iter_mut()
                    .zip(line.trim_end_matches('\n').split('\t'))
                {
                    *cell = text.replace(SPILLED_BREAK, "\n");
                }
                f(&cells)?;
            }
        }
        self.memory.iter().try_for_each(f)
    }

    /// Draws the table to `out`, with a line break after it. With a width, columns are left
    /// out (in [`DROP_ORDER`]) until each line fits, and a last line names them; cells never
    /// wrap, so addresses and times stay whole.
    pub fn write(mut self, out: &mut dyn io::Write, layout: Layout) -> io::Result<()> {
        // Every line of the table is as wide as its borders: each cell is padded to its
        // column's width.
        let width_of = |hidden: &[usize]| {
            let shown = (0..COLUMNS.len()).filter(|c| !hidden.contains(c));
            shown.clone().map(|c| self.widths[c] + 2).sum::<usize>() + shown.count() + 1
        };
        let mut hidden: Vec<usize> = Vec::new();
        for &col in &DROP_ORDER {
            if layout
                .width
                .is_none_or(|w| width_of(&hidden) <= usize::from(w))
            {
                break;
            }
            hidden.push(col);
        }
        self.draw(out, &hidden, layout.color)?;
        if hidden.is_empty() {
            return Ok(());
        }
        let mut names: Vec<&str> = hidden.iter().map(|&c| COLUMNS[c]).collect();
        names.sort_by_key(|n| COLUMNS.iter().position(|c| c == n));
        let note = format!(
            "(left out to fit {} columns: {}; `--format tsv` or `jsonl` has them all)",
            layout.width.unwrap_or_default(),
            names.join(", ")
        );
        writeln!(out, "{}", wrap(&note, layout.width))
    }

    /// The table without the `hidden` columns, each line ended by a line break.
    fn draw(&mut self, out: &mut dyn io::Write, hidden: &[usize], color: bool) -> io::Result<()> {
        let shown: Vec<usize> = (0..COLUMNS.len()).filter(|c| !hidden.contains(c)).collect();
        let widths = self.widths;
        let mut line = String::new();
        let border = |line: &mut String, [left, fill, junction, right]: [char; 4]| {
            line.clear();
            line.push(left);
            for (i, &c) in shown.iter().enumerate() {
                if i > 0 {
                    line.push(junction);
                }
                line.extend(std::iter::repeat_n(fill, widths[c] + 2));
            }
            line.push(right);
            line.push('\n');
        };
        border(&mut line, ['┌', '─', '┬', '┐']);
        out.write_all(line.as_bytes())?;
        let header = COLUMNS.map(String::from);
        draw_row(&mut line, &header, &shown, &widths, color, true);
        out.write_all(line.as_bytes())?;
        border(&mut line, ['╞', '═', '╪', '╡']);
        out.write_all(line.as_bytes())?;
        self.for_each(|cells| {
            draw_row(&mut line, cells, &shown, &widths, color, false);
            out.write_all(line.as_bytes())
        })?;
        border(&mut line, ['└', '─', '┴', '┘']);
        out.write_all(line.as_bytes())
    }
}

/// One row's lines (a line per line of its tallest cell) into `line`: each cell padded to its
/// column's width with a space either side, the client and server coloured (the header bold)
/// when asked; a cell with fewer lines is blank below, uncoloured, as comfy-table draws it.
fn draw_row(
    line: &mut String,
    cells: &Cells,
    shown: &[usize],
    widths: &[usize; 13],
    color: bool,
    header: bool,
) {
    line.clear();
    let height = shown
        .iter()
        .map(|&c| cells[c].split('\n').count())
        .max()
        .unwrap_or(1);
    for n in 0..height {
        line.push('│');
        for (i, &c) in shown.iter().enumerate() {
            if i > 0 {
                line.push('┆');
            }
            let Some(text) = cells[c].split('\n').nth(n) else {
                line.extend(std::iter::repeat_n(' ', widths[c] + 2));
                continue;
            };
            let (on, off) = match (color, header, c) {
                (false, _, _) => ("", ""),
                (true, true, _) => ("\x1b[1m", "\x1b[0m"),
                (true, false, 5) => ("\x1b[38;5;12m", "\x1b[39m"),
                (true, false, 6) => ("\x1b[38;5;10m", "\x1b[39m"),
                (true, false, _) => ("", ""),
            };
            line.push_str(on);
            line.push(' ');
            line.push_str(text);
            line.extend(std::iter::repeat_n(
                ' ',
                widths[c].saturating_sub(text.width()) + 1,
            ));
            line.push_str(off);
        }
        line.push_str("│\n");
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

/// comfy-table's drawing of the same cells: what [`TableRows::write`] is held to.
#[cfg(test)]
fn render(cells: &[Cells], hidden: &[usize], color: bool) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Cell text as the table gets it: ASCII words, wide and zero-width characters, empty
    /// cells, cells of several lines (anomalies are one a line).
    fn cell() -> impl Strategy<Value = String> {
        let line = proptest::collection::vec(
            prop_oneof![
                "[a-z0-9 ./:()-]{0,12}",
                proptest::sample::select(vec!["日本", "é", "e\u{301}", "🍕", "×", "→", "\\x1B"])
                    .prop_map(String::from),
            ],
            0..3,
        )
        .prop_map(|parts| parts.concat());
        proptest::collection::vec(line, 1..4).prop_map(|lines| lines.join("\n"))
    }

    fn drawn(rows: &[Cells], hidden: &[usize], color: bool, keep: usize) -> String {
        let mut t = TableRows {
            keep,
            ..TableRows::new()
        };
        for r in rows {
            t.push_cells(r.clone()).expect("push");
        }
        let mut out = Vec::new();
        t.draw(&mut out, hidden, color).expect("draw");
        String::from_utf8(out).expect("text")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The table drawn a line at a time is comfy-table's, byte for byte: any cells, any
        /// of the column sets the layout leaves, with and without colour, rows in memory or
        /// through the temporary file.
        #[test]
        fn the_table_is_drawn_as_comfy_table_draws_it(
            rows in proptest::collection::vec(proptest::array::uniform13(cell()), 1..6),
            dropped in 0..=DROP_ORDER.len(),
            color in any::<bool>(),
            keep in 1..4usize,
        ) {
            let hidden = &DROP_ORDER[..dropped];
            let want = format!("{}\n", render(&rows, hidden, color));
            prop_assert_eq!(drawn(&rows, hidden, color, TABLE_ROWS_IN_MEMORY), want.clone());
            prop_assert_eq!(drawn(&rows, hidden, color, keep), want);
        }
    }

    /// A narrow terminal leaves columns out in order until the table fits, and says which.
    #[test]
    fn a_narrow_table_leaves_columns_out_until_it_fits() {
        let row: Cells = std::array::from_fn(|c| format!("{}-{c}", "x".repeat(c)));
        let mut whole = TableRows::new();
        whole.push_cells(row.clone()).expect("push");
        let mut out = Vec::new();
        whole.write(&mut out, Layout::default()).expect("write");
        let full = String::from_utf8(out)
            .expect("text")
            .lines()
            .map(|l| l.chars().count())
            .max();
        let full = full.unwrap_or(0);
        for width in [60u16, 100, 140, 180, 400] {
            let mut t = TableRows::new();
            t.push_cells(row.clone()).expect("push");
            let mut out = Vec::new();
            t.write(
                &mut out,
                Layout {
                    width: Some(width),
                    color: false,
                },
            )
            .expect("write");
            let text = String::from_utf8(out).expect("text");
            let table: Vec<&str> = text.lines().take_while(|l| !l.starts_with('(')).collect();
            let widest = table.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            let left_out = text.lines().any(|l| l.starts_with("(left out to fit"));
            // Fits, unless every column that may go has gone; a note exactly when some did.
            let all_dropped = table[1].matches('┆').count() + 1 == COLUMNS.len() - DROP_ORDER.len();
            assert!(
                widest <= usize::from(width) || all_dropped,
                "{width}: {text}"
            );
            assert_eq!(left_out, full > usize::from(width), "{width}: {text}");
        }
    }
}
