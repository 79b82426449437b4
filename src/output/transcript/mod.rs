//! `msnsniff transcripts`: each conversation of the conversation layer
//! ([`crate::conversation::model`]) as a file people read (plain text, a self-contained HTML
//! page) and as a JSON document, plus an index in each format, the HTML one above an SVG
//! timeline of who was online and who talked when.
//!
//! Why it exists: the dialogue shows the protocol; a transcript shows the chat. The renderers
//! ([`txt`], [`html`], [`json`], [`svg`]) are pure functions of the model values (the indexes
//! are written to a stream a row at a time); this module names the files and writes them, and
//! [`index`] keeps the indexes' rows, beyond the first 1,024 in a temporary file, so that
//! memory stays flat however many conversations a capture holds.
//!
//! Guarantees:
//!
//! - every renderer is deterministic: the same values give the same bytes;
//! - capture text (in the data form of [`crate::escape`]) is escaped for each format: text and
//!   HTML show it in the display form (no control, bidi or other hidden character reaches the
//!   reader; a backslash shows as `\\`), HTML also escapes every markup character, and JSON
//!   keeps the data form exactly, as a JSON string;
//! - the HTML holds no script and loads nothing (inline CSS, a content security policy that
//!   forbids any other source);
//! - a file name never comes from the capture as it stands: [`file_stem`] builds it from the
//!   start time and the participants' handles through [`crate::output::extract::safe_name`],
//!   keeps only letters, digits and `.`, `-`, `_`, `@`, `+`, caps its length, and numbers
//!   collisions (compared without case); files are written under the chosen directory only.

pub mod html;
pub mod index;
pub mod json;
pub mod svg;
pub mod txt;

use crate::capture::Timestamp;
use crate::conversation::model::{
    ContactList, Conversation, EntryKind, LoginSession, Participant, PresenceChange,
};
use crate::escape;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

pub use index::{Index, Stems};

/// The participants a file name names at most (then `+N` says how many more).
pub const MAX_NAMED_PARTICIPANTS: usize = 4;
/// A handle's share of a file name, in bytes.
pub const MAX_HANDLE_BYTES: usize = 40;

/// A transcript format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TranscriptFormat {
    Txt,
    Html,
    Json,
}

impl TranscriptFormat {
    pub const ALL: [TranscriptFormat; 3] = [
        TranscriptFormat::Txt,
        TranscriptFormat::Html,
        TranscriptFormat::Json,
    ];

    /// The file extension, which is also the name on the command line.
    pub fn extension(self) -> &'static str {
        match self {
            TranscriptFormat::Txt => "txt",
            TranscriptFormat::Html => "html",
            TranscriptFormat::Json => "json",
        }
    }

    /// `txt,html,json` (any order, any subset) to formats, without repeats.
    pub fn parse_list(list: &str) -> Result<Vec<TranscriptFormat>, String> {
        let mut out = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = TranscriptFormat::ALL
                .into_iter()
                .find(|f| f.extension().eq_ignore_ascii_case(part))
                .ok_or_else(|| format!("unknown transcript format {part:?} (txt, html, json)"))?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err("no transcript format given (txt, html, json)".into());
        }
        Ok(out)
    }
}

/// A participant as the index shows them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SummaryParticipant {
    pub handle: String,
    /// The last friendly name the switchboard showed, if any.
    pub name: Option<String>,
    pub local: bool,
}

/// What the indexes say about one conversation (its row), and the name of its files.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConversationSummary {
    pub id: u64,
    /// The file name without extension (unique among the rows of an [`Index`]).
    pub stem: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub participants: Vec<SummaryParticipant>,
    pub login_sessions: Vec<u64>,
    pub messages: usize,
    /// Files offered (the notes of the message layer that name a file), as named.
    pub files: Vec<String>,
}

impl ConversationSummary {
    /// The summary of `c`, its files named `stem`.
    pub fn new(c: &Conversation, stem: String) -> ConversationSummary {
        let files = c
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Note { text, .. } => file_named(text),
                _ => None,
            })
            .collect();
        ConversationSummary {
            id: c.id,
            stem,
            start: c.start,
            end: c.end,
            participants: c
                .participants
                .iter()
                .map(|p| SummaryParticipant {
                    handle: p.handle.clone(),
                    name: p.names.last().cloned(),
                    local: p.local,
                })
                .collect(),
            login_sessions: c.login_sessions.clone(),
            messages: c.message_count(),
            files,
        }
    }
}

/// The file named in a note such as `invitation: file "a.txt"` or `... file "a.txt" (12
/// bytes)`.
fn file_named(note: &str) -> Option<String> {
    let start = note.find("file \"")? + "file \"".len();
    let rest = &note[start..];
    // The name may itself hold quotes: take the last one before a size or the end.
    let end = rest
        .find("\" (")
        .or_else(|| rest.rfind('"'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// `2011-08-10T03-17-29Z_alice@example.com_bob@example.com`: the start time (UTC, no colon)
/// and the participants' handles made safe; `..._conversation-N` when none is usable.
pub fn file_stem(c: &Conversation) -> String {
    let mut stem = iso_time(c.start).replace(':', "-");
    let mut named = 0;
    for p in &c.participants {
        if named == MAX_NAMED_PARTICIPANTS {
            let _ = write!(stem, "_+{}", c.participants.len() - named);
            break;
        }
        if let Some(h) = safe_handle(&p.handle) {
            stem.push('_');
            stem.push_str(&h);
            named += 1;
        }
    }
    if named == 0 {
        let _ = write!(stem, "_conversation-{}", c.id);
    }
    stem
}

/// A handle as a piece of a file name: [`crate::output::extract::safe_name`], then only
/// letters, digits and `.-_@+` kept (anything else `_`), at most [`MAX_HANDLE_BYTES`].
fn safe_handle(handle: &str) -> Option<String> {
    let safe = crate::output::extract::safe_name(handle)?;
    let mut out = String::new();
    for c in safe.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+') {
            c
        } else {
            '_'
        };
        if out.len() + c.len_utf8() > MAX_HANDLE_BYTES {
            break;
        }
        out.push(c);
    }
    let out = out.trim_matches(['.', '_']).to_string();
    (!out.is_empty()).then_some(out)
}

/// Writes a transcript per conversation and an index, in each of `formats`, under `dir`
/// (created if missing; files of the same name are replaced), and the principals' contact
/// lists and their contacts' presence changes as `contacts.<ext>` when there are any. Gives
/// the paths written, in the order written: each conversation's files, then the indexes and
/// contact lists format after format. The seam the `transcripts` command calls with the
/// conversation layer's values.
pub fn write_all(
    dir: &Path,
    conversations: &[Conversation],
    sessions: &[LoginSession],
    lists: &[ContactList],
    presence: &[PresenceChange],
    formats: &[TranscriptFormat],
) -> io::Result<Vec<PathBuf>> {
    let mut writer = TranscriptWriter::new(dir, formats)?;
    let mut written = Vec::new();
    for c in conversations {
        written.extend(writer.conversation(c)?);
    }
    written.extend(writer.finish(sessions, lists, presence)?);
    Ok(written)
}

/// Writes each conversation's files as soon as it is given, keeping only its row for the
/// indexes ([`Index`], which keeps memory flat), and writes the indexes at the end with the
/// contact lists: a capture's conversations never have to be held all at once. The files
/// are those of [`write_all`] given the same conversations in the same order.
pub struct TranscriptWriter {
    dir: PathBuf,
    formats: Vec<TranscriptFormat>,
    stems: Stems,
    index: Index,
}

impl TranscriptWriter {
    /// Makes the directory (or checks that it can be written to).
    pub fn new(dir: &Path, formats: &[TranscriptFormat]) -> io::Result<TranscriptWriter> {
        crate::output::output_dir(dir)?;
        Ok(TranscriptWriter {
            dir: dir.to_path_buf(),
            formats: formats.to_vec(),
            stems: Stems::default(),
            index: Index::new(),
        })
    }

    /// Writes one conversation's files, in every format; their paths.
    pub fn conversation(&mut self, c: &Conversation) -> io::Result<Vec<PathBuf>> {
        let stem = self.stems.unique(c);
        let mut written = Vec::with_capacity(self.formats.len());
        for &f in &self.formats {
            let body = match f {
                TranscriptFormat::Txt => txt::render_txt(c),
                TranscriptFormat::Html => html::render_html(c),
                TranscriptFormat::Json => json::render_json(c),
            };
            let name = format!("{stem}.{}", f.extension());
            written.push(write(&self.dir, &name, &body)?);
        }
        self.index.push(c, stem)?;
        Ok(written)
    }

    /// Writes the indexes and the contact lists, format after format; their paths.
    pub fn finish(
        mut self,
        sessions: &[LoginSession],
        lists: &[ContactList],
        presence: &[PresenceChange],
    ) -> io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for &f in &self.formats {
            let name = format!("index.{}", f.extension());
            let path = self.dir.join(&name);
            let index = &mut self.index;
            let wrote = File::create(&path).and_then(|file| {
                let mut out = io::BufWriter::new(file);
                match f {
                    TranscriptFormat::Txt => txt::write_index_txt(&mut out, index, sessions),
                    TranscriptFormat::Html => html::write_index_html(&mut out, index, sessions),
                    TranscriptFormat::Json => json::write_index_json(&mut out, index, sessions),
                }?;
                out.flush()
            });
            written.push(
                wrote
                    .map(|()| path.clone())
                    .map_err(|e| with_path(e, &path))?,
            );
            if !lists.is_empty() || !presence.is_empty() {
                let contacts = match f {
                    TranscriptFormat::Txt => txt::render_contacts_txt(lists, presence),
                    TranscriptFormat::Html => html::render_contacts_html(lists, presence),
                    TranscriptFormat::Json => json::render_contacts_json(lists, presence),
                };
                written.push(write(
                    &self.dir,
                    &format!("contacts.{}", f.extension()),
                    &contacts,
                )?);
            }
        }
        Ok(written)
    }
}

/// The sink of `transcripts` (and of `live --transcripts`): the correlator builds the
/// conversations from the events, and each is written as soon as it is finished; the rest,
/// the indexes and the contact lists at the end. Each path written goes to the listing, if
/// any, as it is written.
pub struct Transcribe<'a> {
    correlator: crate::conversation::Correlator,
    writer: TranscriptWriter,
    listing: Listing<'a>,
}

/// Where the paths written go as they are written, and how many there were.
struct Listing<'a> {
    out: Option<&'a mut dyn io::Write>,
    count: u64,
}

impl Listing<'_> {
    /// Lists `paths`. A reader that went away (`| head`) stops the listing, not the
    /// transcripts: every file is still written. Any other failure is the run's.
    fn add(&mut self, paths: Vec<PathBuf>) -> io::Result<()> {
        self.count += paths.len() as u64;
        if let Some(out) = &mut self.out {
            let listed = paths
                .iter()
                .try_for_each(|p| writeln!(out, "{}", p.display()));
            match listed {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.out = None,
                other => other?,
            }
        }
        Ok(())
    }
}

impl<'a> Transcribe<'a> {
    /// A sink writing with `writer`, listing each path written to `listing` (one per line).
    pub fn new(writer: TranscriptWriter, listing: Option<&'a mut dyn io::Write>) -> Transcribe<'a> {
        Transcribe {
            correlator: crate::conversation::Correlator::new(),
            writer,
            listing: Listing {
                out: listing,
                count: 0,
            },
        }
    }

    /// Writes what is left: the conversations still open, the indexes, the contact lists.
    /// The number of files written in all.
    pub fn finish(self) -> io::Result<u64> {
        let Transcribe {
            correlator,
            mut writer,
            mut listing,
        } = self;
        let rest = correlator.finish();
        for c in &rest.conversations {
            listing.add(writer.conversation(c)?)?;
        }
        listing.add(writer.finish(&rest.login_sessions, &rest.contact_lists, &rest.presence)?)?;
        Ok(listing.count)
    }
}

impl crate::event::Sink for Transcribe<'_> {
    /// Transcripts are built from messages and the message layer's own notes.
    fn wants_notes(&self) -> bool {
        false
    }

    fn event(&mut self, ev: &crate::event::Event) -> io::Result<()> {
        self.correlator.event(ev);
        for c in self.correlator.take_finished() {
            self.listing.add(self.writer.conversation(&c)?)?;
        }
        Ok(())
    }
}

/// What `render` writes, as text (the renderers write only UTF-8). Only the index's
/// temporary file can fail.
fn rendered(render: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> io::Result<String> {
    let mut out = Vec::new();
    render(&mut out)?;
    String::from_utf8(out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn write(dir: &Path, name: &str, body: &str) -> io::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, body).map_err(|e| with_path(e, &path))?;
    Ok(path)
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

// ---- helpers shared by the renderers ----

/// `2011-08-10T03:17:29Z` (UTC, whole seconds).
pub fn iso_time(ts: Timestamp) -> String {
    let u = crate::output::text::utc(ts);
    format!("{}T{}Z", &u[..10], &u[11..19])
}

/// `03:17:29` (UTC).
/// A presence status as `NLN (Online)`; an unknown code alone.
pub(crate) fn status_text(code: &str) -> String {
    match crate::msnp::verbs::status_name(code) {
        Some(name) => format!("{} ({name})", shown(code)),
        None if code.is_empty() => "status unknown".to_string(),
        None => shown(code),
    }
}

pub(crate) fn clock(ts: Timestamp) -> String {
    crate::output::text::utc(ts)[11..19].to_string()
}

/// `2011-08-10` (UTC).
pub(crate) fn day(ts: Timestamp) -> String {
    crate::output::text::utc(ts)[..10].to_string()
}

/// Nanoseconds since the epoch.
pub(crate) fn nanos(ts: Timestamp) -> i128 {
    i128::from(ts.secs) * 1_000_000_000 + i128::from(ts.nanos)
}

/// `8.5s`, `1m 05s`, `2h 03m 04s`: from `start` to `end` (zero if `end` is earlier).
pub fn duration(start: Timestamp, end: Timestamp) -> String {
    let ns = (nanos(end) - nanos(start)).max(0);
    let secs = ns / 1_000_000_000;
    if secs < 60 {
        return format!("{}.{}s", secs, ns % 1_000_000_000 / 100_000_000);
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h == 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{h}h {m:02}m {s:02}s")
    }
}

/// Capture text as one inert line (the display form of [`crate::escape`]).
pub(crate) fn shown(text: &str) -> String {
    escape::one_line(text)
}

/// A message's lines as sent (`\r\n` or `\n` ends a line), each in the display form.
pub(crate) fn message_lines(text: &str) -> Vec<String> {
    let text = text.strip_suffix("\r\n").unwrap_or(text);
    text.split('\n')
        .map(|l| shown(l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

/// The name a participant is shown by: the message's own name, else the participant's last
/// one.
pub(crate) fn name_for<'a>(
    participants: &'a [Participant],
    handle: &str,
    given: Option<&'a str>,
) -> Option<&'a str> {
    given.filter(|n| !n.is_empty()).or_else(|| {
        participants
            .iter()
            .find(|p| p.handle == handle)
            .and_then(|p| p.names.last())
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    })
}

/// Whether `handle` is a local participant.
pub(crate) fn is_local(participants: &[Participant], handle: &str) -> bool {
    participants.iter().any(|p| p.local && p.handle == handle)
}

/// What one line of a transcript is, in time order: the entries and the missing pieces, a
/// missing piece before the entries of the same time (`picked up mid-session` comes first).
pub(crate) enum Item<'a> {
    Entry(&'a crate::conversation::model::Entry),
    Missing(&'a crate::conversation::model::Missing),
}

pub(crate) fn timeline(c: &Conversation) -> Vec<(Timestamp, Item<'_>)> {
    let mut missing: Vec<_> = c.missing.iter().collect();
    missing.sort_by_key(|m| nanos(m.ts));
    let mut out = Vec::with_capacity(c.entries.len() + missing.len());
    let mut mi = missing.into_iter().peekable();
    for e in &c.entries {
        while let Some(m) = mi.next_if(|m| nanos(m.ts) <= nanos(e.ts)) {
            out.push((m.ts, Item::Missing(m)));
        }
        out.push((e.ts, Item::Entry(e)));
    }
    out.extend(mi.map(|m| (m.ts, Item::Missing(m))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_named_in_notes() {
        assert_eq!(
            file_named("invitation: file \"a \"b\".txt\" (12 bytes)").as_deref(),
            Some("a \"b\".txt")
        );
        assert_eq!(file_named("wink").as_deref(), None);
    }

    #[test]
    fn durations() {
        let t = |s, n| Timestamp::new(s, n);
        assert_eq!(duration(t(10, 0), t(18, 500_000_000)), "8.5s");
        assert_eq!(duration(t(0, 0), t(65, 0)), "1m 05s");
        assert_eq!(duration(t(0, 0), t(7384, 0)), "2h 03m 04s");
        assert_eq!(duration(t(9, 0), t(1, 0)), "0.0s");
    }

    #[test]
    fn safe_handles_keep_nothing_dangerous() {
        assert_eq!(
            safe_handle("alice@example.com").as_deref(),
            Some("alice@example.com")
        );
        let h = safe_handle("../../etc/pa\\u{202E}ss wd#?.").unwrap();
        assert!(
            h.chars()
                .all(|c| c.is_alphanumeric() || ".-_@+".contains(c)),
            "{h}"
        );
        assert_eq!(safe_handle("..."), None);
        assert!(safe_handle(&"x".repeat(500)).unwrap().len() <= MAX_HANDLE_BYTES);
    }

    #[test]
    fn formats_parse() {
        assert_eq!(
            TranscriptFormat::parse_list("json, TXT,json").unwrap(),
            vec![TranscriptFormat::Json, TranscriptFormat::Txt]
        );
        assert!(TranscriptFormat::parse_list("pdf").is_err());
        assert!(TranscriptFormat::parse_list("").is_err());
    }
}
