//! `msnsniff transcripts`: each conversation of the conversation layer
//! ([`crate::conversation::model`]) as a file people read (plain text, a self-contained HTML
//! page) and as a JSON document, plus an index in each format, the HTML one above an SVG
//! timeline of who was online and who talked when.
//!
//! Why it exists: the dialogue shows the protocol; a transcript shows the chat. The renderers
//! ([`txt`], [`html`], [`json`], [`svg`]) are pure functions of the model values; this module
//! names the files and is the only part that writes.
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
pub mod json;
pub mod svg;
pub mod txt;

use crate::capture::Timestamp;
use crate::conversation::model::{
    ContactList, Conversation, EntryKind, LoginSession, Participant, PresenceChange,
};
use crate::escape;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryParticipant {
    pub handle: String,
    /// The last friendly name the switchboard showed, if any.
    pub name: Option<String>,
    pub local: bool,
}

/// What the indexes say about one conversation, and the name of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationSummary {
    pub id: u64,
    /// The file name without extension (unique among the summaries [`summaries`] gives).
    pub stem: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub participants: Vec<SummaryParticipant>,
    pub login_sessions: Vec<u64>,
    pub messages: usize,
    /// Files offered (the notes of the message layer that name a file), as named.
    pub files: Vec<String>,
    /// (time, whether the sender is a local participant) of each text message, for the
    /// timeline.
    pub message_times: Vec<(Timestamp, bool)>,
}

impl ConversationSummary {
    /// The summary of `c`, its files named `stem`.
    pub fn new(c: &Conversation, stem: String) -> ConversationSummary {
        let local: BTreeSet<&str> = c
            .participants
            .iter()
            .filter(|p| p.local)
            .map(|p| p.handle.as_str())
            .collect();
        let mut files = Vec::new();
        let mut message_times = Vec::new();
        for e in &c.entries {
            match &e.kind {
                EntryKind::Message { sender, .. } => {
                    message_times.push((e.ts, local.contains(sender.as_str())))
                }
                EntryKind::Note { text, .. } => files.extend(file_named(text)),
                _ => {}
            }
        }
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
            message_times,
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

/// The summaries of `conversations`, with file stems made unique (`..._2`, `..._3`, in
/// order, compared without case).
pub fn summaries(conversations: &[Conversation]) -> Vec<ConversationSummary> {
    let mut taken = BTreeSet::new();
    conversations
        .iter()
        .map(|c| ConversationSummary::new(c, unique_stem(&mut taken, c)))
        .collect()
}

/// `c`'s file stem, numbered past the ones already `taken` (compared without case).
fn unique_stem(taken: &mut BTreeSet<String>, c: &Conversation) -> String {
    let base = file_stem(c);
    let mut stem = base.clone();
    let mut n = 1;
    while !taken.insert(stem.to_lowercase()) {
        n += 1;
        stem = format!("{base}_{n}");
    }
    stem
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
/// lists and their contacts' presence changes as `contacts.<ext>` when there are any. Gives the paths written, in
/// order. The seam the `transcripts` command calls with the conversation layer's values.
pub fn write_all(
    dir: &Path,
    conversations: &[Conversation],
    sessions: &[LoginSession],
    lists: &[ContactList],
    presence: &[PresenceChange],
    formats: &[TranscriptFormat],
) -> io::Result<Vec<PathBuf>> {
    let mut writer = TranscriptWriter::new(dir, formats)?;
    for c in conversations {
        writer.conversation(c)?;
    }
    writer.finish(sessions, lists, presence)
}

/// Writes each conversation's files as soon as it is given, keeping only its summary for
/// the indexes, which are written at the end with the contact lists: a capture's
/// conversations never have to be held all at once. The files and the paths returned are
/// those of [`write_all`] given the same conversations in the same order.
pub struct TranscriptWriter {
    dir: PathBuf,
    formats: Vec<TranscriptFormat>,
    /// File stems used so far, lower-cased.
    taken: BTreeSet<String>,
    summaries: Vec<ConversationSummary>,
    /// The paths written, one list per format (in the order of `formats`).
    written: Vec<Vec<PathBuf>>,
}

impl TranscriptWriter {
    /// Makes the directory (or checks that it can be written to).
    pub fn new(dir: &Path, formats: &[TranscriptFormat]) -> io::Result<TranscriptWriter> {
        crate::output::output_dir(dir)?;
        Ok(TranscriptWriter {
            dir: dir.to_path_buf(),
            formats: formats.to_vec(),
            taken: BTreeSet::new(),
            summaries: Vec::new(),
            written: vec![Vec::new(); formats.len()],
        })
    }

    /// Writes one conversation's files, in every format.
    pub fn conversation(&mut self, c: &Conversation) -> io::Result<()> {
        let summary = ConversationSummary::new(c, unique_stem(&mut self.taken, c));
        for (&f, written) in self.formats.iter().zip(&mut self.written) {
            let body = match f {
                TranscriptFormat::Txt => txt::render_txt(c),
                TranscriptFormat::Html => html::render_html(c),
                TranscriptFormat::Json => json::render_json(c),
            };
            let name = format!("{}.{}", summary.stem, f.extension());
            written.push(write(&self.dir, &name, &body)?);
        }
        self.summaries.push(summary);
        Ok(())
    }

    /// Writes the indexes and the contact lists; the paths of every file written, format
    /// after format.
    pub fn finish(
        mut self,
        sessions: &[LoginSession],
        lists: &[ContactList],
        presence: &[PresenceChange],
    ) -> io::Result<Vec<PathBuf>> {
        let (dir, summaries) = (&self.dir, &self.summaries);
        for (&f, written) in self.formats.iter().zip(&mut self.written) {
            let index = match f {
                TranscriptFormat::Txt => txt::render_index_txt(summaries, sessions),
                TranscriptFormat::Html => html::render_index_html(summaries, sessions),
                TranscriptFormat::Json => json::render_index_json(summaries, sessions),
            };
            written.push(write(dir, &format!("index.{}", f.extension()), &index)?);
            if !lists.is_empty() || !presence.is_empty() {
                let contacts = match f {
                    TranscriptFormat::Txt => txt::render_contacts_txt(lists, presence),
                    TranscriptFormat::Html => html::render_contacts_html(lists, presence),
                    TranscriptFormat::Json => json::render_contacts_json(lists, presence),
                };
                written.push(write(
                    dir,
                    &format!("contacts.{}", f.extension()),
                    &contacts,
                )?);
            }
        }
        Ok(self.written.into_iter().flatten().collect())
    }
}

/// The sink of `transcripts` (and of `live --transcripts`): the correlator builds the
/// conversations from the events, and each is written as soon as it is finished; the rest,
/// the indexes and the contact lists at the end.
pub struct Transcribe {
    correlator: crate::conversation::Correlator,
    writer: TranscriptWriter,
}

impl Transcribe {
    pub fn new(writer: TranscriptWriter) -> Transcribe {
        Transcribe {
            correlator: crate::conversation::Correlator::new(),
            writer,
        }
    }

    /// Writes what is left: the conversations still open, the indexes, the contact lists.
    /// The paths of every file written.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        let rest = self.correlator.finish();
        for c in &rest.conversations {
            self.writer.conversation(c)?;
        }
        self.writer
            .finish(&rest.login_sessions, &rest.contact_lists, &rest.presence)
    }
}

impl crate::event::Sink for Transcribe {
    fn event(&mut self, ev: &crate::event::Event) -> io::Result<()> {
        self.correlator.event(ev);
        for c in self.correlator.take_finished() {
            self.writer.conversation(&c)?;
        }
        Ok(())
    }
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
