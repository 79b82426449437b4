//! Plain-text transcripts: a header (participants with their names, start, duration,
//! connections), then one line per message or event with its time (UTC).
//!
//! Why it exists: the form to read in a pager or paste into a report. Guarantees: every
//! character from the capture is in the display form of [`crate::escape`], so the text holds
//! no control character (no escape sequence), no bidi override or other hidden character; the
//! only line breaks are the ones written here (a message's own lines are each indented under
//! its first). Typing notifications are left out (they say nothing a reader needs, and a
//! chat holds dozens); the JSON keeps them. A day line (`--- 2011-08-11 ---`) precedes the
//! first entry of each later day.

use super::{Index, Item, clock, day, duration, message_lines, name_for, shown, timeline};
use crate::conversation::model::{
    ContactList, Conversation, EntryKind, LoginSession, Participant, PresenceChange,
};
use crate::output::text::utc;
use std::fmt::Write as _;
use std::io;

/// The indentation of a message's second and later lines.
const INDENT: &str = "           ";

/// `name <handle>`, or `<handle>` with no name, in the display form.
fn who(participants: &[Participant], handle: &str, given: Option<&str>) -> String {
    match name_for(participants, handle, given) {
        Some(n) => format!("{} <{}>", shown(n), shown(handle)),
        None => format!("<{}>", shown(handle)),
    }
}

/// One conversation as text.
pub fn render_txt(c: &Conversation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Conversation {}", c.id);
    let _ = writeln!(
        s,
        "Start:        {} UTC ({})",
        utc(c.start),
        duration(c.start, c.end)
    );
    let _ = writeln!(s, "End:          {} UTC", utc(c.end));
    let flows: Vec<String> = c.flows.iter().map(|f| format!("#{f}")).collect();
    let _ = write!(
        s,
        "Connections:  {} to switchboard {}",
        if flows.is_empty() {
            "-".to_string()
        } else {
            flows.join(", ")
        },
        c.server
    );
    if let Some(id) = &c.session_id {
        let _ = write!(s, ", session {}", shown(id));
    }
    s.push('\n');
    let _ = writeln!(s, "Participants:");
    for p in &c.participants {
        let names: Vec<String> = p.names.iter().map(|n| shown(n)).collect();
        let _ = write!(s, "  {}", shown(&p.handle));
        if !names.is_empty() {
            let _ = write!(s, " ({})", names.join(", then "));
        }
        if p.local {
            s.push_str(" [local]");
        }
        if let Some(j) = p.joined {
            let _ = write!(s, ", joined {}", clock(j));
        }
        if let Some(l) = p.left {
            let _ = write!(s, ", left {}", clock(l));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "Messages:     {}", c.message_count());
    s.push('\n');

    let mut current_day = day(c.start);
    for (ts, item) in timeline(c) {
        if matches!(
            item,
            Item::Entry(e) if matches!(e.kind, EntryKind::Typing { .. })
        ) {
            continue;
        }
        let d = day(ts);
        if d != current_day {
            let _ = writeln!(s, "--- {d} ---");
            current_day = d;
        }
        let t = clock(ts);
        match item {
            Item::Missing(m) => {
                let _ = writeln!(s, "[{t}] [... text missing: {} ...]", shown(&m.what));
            }
            Item::Entry(e) => entry_line(&mut s, c, &t, &e.kind),
        }
    }
    if c.dropped_entries > 0 {
        let _ = writeln!(
            s,
            "[... {} more entries not kept (over the cap) ...]",
            c.dropped_entries
        );
    }
    s
}

fn entry_line(s: &mut String, c: &Conversation, t: &str, kind: &EntryKind) {
    let p = &c.participants;
    match kind {
        EntryKind::Message {
            sender, name, text, ..
        } => {
            let lines = message_lines(text);
            let _ = writeln!(s, "[{t}] {}: {}", who(p, sender, name.as_deref()), lines[0]);
            for l in &lines[1..] {
                let _ = writeln!(s, "{INDENT}{l}");
            }
        }
        EntryKind::Joined { handle, name } => {
            let _ = writeln!(
                s,
                "[{t}] * {} joined the conversation",
                who(p, handle, name.as_deref())
            );
        }
        EntryKind::Left { handle, idle } => {
            let _ = writeln!(
                s,
                "[{t}] * {} left the conversation{}",
                who(p, handle, None),
                if *idle { " (timed out)" } else { "" }
            );
        }
        EntryKind::Nudge { handle } => {
            let _ = writeln!(s, "[{t}] * {} sent a nudge", who(p, handle, None));
        }
        EntryKind::Typing { handle } => {
            let _ = writeln!(s, "[{t}] * {} is typing", who(p, handle, None));
        }
        EntryKind::Note { sender, text } => match sender {
            Some(h) => {
                let _ = writeln!(s, "[{t}] * {}: {}", who(p, h, None), shown(text));
            }
            None => {
                let _ = writeln!(s, "[{t}] * {}", shown(text));
            }
        },
    }
}

/// The text index: login sessions, then one block per conversation.
pub fn render_index_txt(index: &mut Index, sessions: &[LoginSession]) -> io::Result<String> {
    super::rendered(|out| write_index_txt(out, index, sessions))
}

/// [`render_index_txt`] to `out`, a row at a time.
pub fn write_index_txt(
    out: &mut dyn io::Write,
    index: &mut Index,
    sessions: &[LoginSession],
) -> io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "Login sessions: {}", sessions.len());
    for l in sessions {
        let _ = write!(s, "  #{} {} from {}", l.id, shown(&l.principal), l.client);
        match l.login {
            Some(t) => {
                let _ = write!(s, ", {} UTC to {}", utc(t), utc(l.end));
            }
            None => {
                let _ = write!(s, ", login not seen, until {} UTC", utc(l.end));
            }
        }
        if let Some(v) = &l.client_version {
            let _ = write!(s, ", {}", shown(v));
        }
        s.push('\n');
    }
    s.push('\n');
    let _ = writeln!(s, "Conversations: {}", index.len());
    out.write_all(s.as_bytes())?;
    index.for_each(|c| {
        s.clear();
        let _ = writeln!(
            s,
            "  #{} {} UTC ({}), {} message{}: {}.txt",
            c.id,
            utc(c.start),
            duration(c.start, c.end),
            c.messages,
            if c.messages == 1 { "" } else { "s" },
            c.stem
        );
        for p in &c.participants {
            let _ = write!(s, "      {}", shown(&p.handle));
            if let Some(n) = &p.name {
                let _ = write!(s, " ({})", shown(n));
            }
            if p.local {
                s.push_str(" [local]");
            }
            s.push('\n');
        }
        for f in &c.files {
            let _ = writeln!(s, "      file: {}", shown(f));
        }
        out.write_all(s.as_bytes())
    })
}

/// `contacts.txt`: each principal's groups and contacts as they stand at the end of the
/// capture, one contact per line with its lists, groups and friendly name; then the presence
/// changes, one per line in capture order.
pub fn render_contacts_txt(lists: &[ContactList], presence: &[PresenceChange]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Contact lists at the end of the capture: {} principal{}",
        lists.len(),
        if lists.len() == 1 { "" } else { "s" }
    );
    for l in lists {
        let _ = writeln!(
            s,
            "\n{}: {} contact{}, {} group{}",
            shown(&l.principal),
            l.contacts.len(),
            if l.contacts.len() == 1 { "" } else { "s" },
            l.groups.len(),
            if l.groups.len() == 1 { "" } else { "s" }
        );
        for (id, name) in &l.groups {
            let _ = writeln!(s, "  group {}: {}", shown(id), shown(name));
        }
        for c in &l.contacts {
            let _ = write!(s, "  {} [{}]", shown(&c.handle), shown(&c.lists.join(" ")));
            if !c.groups.is_empty() {
                let groups: Vec<String> = c.groups.iter().map(|g| shown(g)).collect();
                let _ = write!(s, " groups {}", groups.join(","));
            }
            if let Some(n) = &c.friendly_name {
                let _ = write!(s, " ({})", shown(n));
            }
            s.push('\n');
        }
    }
    if !presence.is_empty() {
        let _ = writeln!(
            s,
            "\nPresence changes, as each principal's notification server told them: {}",
            presence.len()
        );
        for p in presence {
            let _ = write!(
                s,
                "  {} UTC {}: {}",
                utc(p.ts),
                shown(&p.handle),
                super::status_text(&p.status)
            );
            if let Some(n) = &p.friendly_name {
                let _ = write!(s, " as {}", shown(n));
            }
            if let Some(m) = &p.personal_message {
                let _ = write!(s, ", personal message \"{}\"", shown(m));
            }
            if let Some(m) = p.current_media.as_deref().filter(|m| !m.is_empty()) {
                let _ = write!(s, ", listening to \"{}\"", shown(m));
            }
            if let Some(to) = &p.principal {
                let _ = write!(s, " (to {})", shown(to));
            }
            s.push('\n');
        }
    }
    s
}
