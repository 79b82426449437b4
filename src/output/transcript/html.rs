//! HTML transcripts: one self-contained page per conversation, and `index.html` (the
//! conversations in a table, under an SVG timeline of [`super::svg`]).
//!
//! Why it exists: the form to read in a browser or attach to a report, with the sides told
//! apart by the documentation's colours (the local side blue as `>>>`, the others green as
//! `<<<`, notes bluish green). Guarantees: every value from the capture is in the display form
//! of [`crate::escape`] (no control, bidi or other hidden character) and then escaped for HTML
//! (`&`, `<`, `>`, `"`, `'`), in text and in attributes alike; the pages hold no script, no
//! event handler and no external asset (inline CSS only), and a content security policy
//! (`default-src 'none'`) forbids loading anything should a value ever escape. Typing
//! notifications are left out, as in the text form.

use super::{
    Index, Item, clock, day, duration, is_local, message_lines, name_for, shown, timeline,
};
use crate::conversation::model::{
    ContactList, Conversation, EntryKind, LoginSession, Participant, PresenceChange,
};
use crate::output::text::utc;
use std::fmt::Write as _;
use std::io;

/// Local side (`>>>` in the dialogue), other side (`<<<`), notes (`<o>`).
pub const LOCAL_COLOUR: &str = "#0000cc";
pub const REMOTE_COLOUR: &str = "#007a00";
pub const NOTE_COLOUR: &str = "#00807a";

/// Text for HTML text and attribute values: `&<>"'` as character references.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Capture text in the display form, escaped for HTML.
fn h(text: &str) -> String {
    escape_html(&shown(text))
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}\
h1{font-size:1.4em}table.meta td,table.meta th{text-align:left;padding:.1em .8em .1em 0;vertical-align:top}\
.local{color:LOCAL}.remote{color:REMOTE}.note{color:NOTE}.missing{color:#a00;font-style:italic}\
ol.log{list-style:none;padding:0;font-family:monospace}ol.log li{margin:.15em 0}\
time{color:#777;margin-right:.6em}.who{font-weight:bold}\
.text{white-space:pre-wrap;overflow-wrap:anywhere;display:inline-block;vertical-align:top;max-width:80%}.day{color:#777;margin-top:.6em}\
table.list{border-collapse:collapse}table.list td,table.list th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top;text-align:left}\
.timeline{margin:1em 0;max-width:100%;height:auto}";

fn head(title: &str) -> String {
    let style = STYLE
        .replace("LOCAL", LOCAL_COLOUR)
        .replace("REMOTE", REMOTE_COLOUR)
        .replace("NOTE", NOTE_COLOUR);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'none'\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n",
        escape_html(title)
    )
}

const TAIL: &str = "</body>\n</html>\n";

/// `name &lt;handle&gt;` with the side's class.
fn who(participants: &[Participant], handle: &str, given: Option<&str>) -> String {
    let side = if is_local(participants, handle) {
        "local"
    } else {
        "remote"
    };
    let label = match name_for(participants, handle, given) {
        Some(n) => format!("{} &lt;{}&gt;", h(n), h(handle)),
        None => format!("&lt;{}&gt;", h(handle)),
    };
    format!("<span class=\"who {side}\">{label}</span>")
}

/// One conversation as a page.
pub fn render_html(c: &Conversation) -> String {
    let mut s = head(&format!("Conversation {} ({} UTC)", c.id, utc(c.start)));
    let _ = writeln!(s, "<h1>Conversation {}</h1>", c.id);
    s.push_str("<table class=\"meta\">\n");
    let _ = writeln!(
        s,
        "<tr><th>Start</th><td><time>{} UTC</time> ({})</td></tr>",
        utc(c.start),
        duration(c.start, c.end)
    );
    let _ = writeln!(
        s,
        "<tr><th>End</th><td><time>{} UTC</time></td></tr>",
        utc(c.end)
    );
    let flows: Vec<String> = c.flows.iter().map(|f| format!("#{f}")).collect();
    let _ = write!(
        s,
        "<tr><th>Connections</th><td>{} to switchboard {}",
        if flows.is_empty() {
            "-".into()
        } else {
            flows.join(", ")
        },
        escape_html(&c.server.to_string())
    );
    if let Some(id) = &c.session_id {
        let _ = write!(s, ", session {}", h(id));
    }
    s.push_str("</td></tr>\n");
    let _ = writeln!(
        s,
        "<tr><th>Messages</th><td>{}</td></tr>",
        c.message_count()
    );
    s.push_str("<tr><th>Participants</th><td><ul>\n");
    for p in &c.participants {
        let side = if p.local { "local" } else { "remote" };
        let _ = write!(s, "<li class=\"{side}\">{}", h(&p.handle));
        if !p.names.is_empty() {
            let names: Vec<String> = p.names.iter().map(|n| h(n)).collect();
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
        s.push_str("</li>\n");
    }
    s.push_str("</ul></td></tr>\n</table>\n<ol class=\"log\">\n");

    let mut current_day = day(c.start);
    for (ts, item) in timeline(c) {
        if matches!(item, Item::Entry(e) if matches!(e.kind, EntryKind::Typing { .. })) {
            continue;
        }
        let d = day(ts);
        if d != current_day {
            let _ = writeln!(s, "<li class=\"day\">{d}</li>");
            current_day = d;
        }
        let t = format!("<time>{}</time>", clock(ts));
        match item {
            Item::Missing(m) => {
                let _ = writeln!(
                    s,
                    "<li class=\"missing\">{t}[... text missing: {} ...]</li>",
                    h(&m.what)
                );
            }
            Item::Entry(e) => entry(&mut s, c, &t, &e.kind),
        }
    }
    if c.dropped_entries > 0 {
        let _ = writeln!(
            s,
            "<li class=\"missing\">[... {} more entries not kept (over the cap) ...]</li>",
            c.dropped_entries
        );
    }
    s.push_str("</ol>\n<p><a href=\"index.html\">All conversations</a></p>\n");
    s.push_str(TAIL);
    s
}

fn entry(s: &mut String, c: &Conversation, t: &str, kind: &EntryKind) {
    let p = &c.participants;
    match kind {
        EntryKind::Message {
            sender, name, text, ..
        } => {
            let side = if is_local(p, sender) {
                "local"
            } else {
                "remote"
            };
            let lines: Vec<String> = message_lines(text).iter().map(|l| escape_html(l)).collect();
            let _ = writeln!(
                s,
                "<li class=\"msg {side}\">{t}{}: <span class=\"text\">{}</span></li>",
                who(p, sender, name.as_deref()),
                lines.join("\n")
            );
        }
        EntryKind::Joined { handle, name } => note(
            s,
            t,
            &format!(
                "{} joined the conversation",
                who(p, handle, name.as_deref())
            ),
        ),
        EntryKind::Left { handle, idle } => note(
            s,
            t,
            &format!(
                "{} left the conversation{}",
                who(p, handle, None),
                if *idle { " (timed out)" } else { "" }
            ),
        ),
        EntryKind::Nudge { handle } => {
            note(s, t, &format!("{} sent a nudge", who(p, handle, None)))
        }
        EntryKind::Typing { handle } => note(s, t, &format!("{} is typing", who(p, handle, None))),
        EntryKind::Note { sender, text } => match sender {
            Some(hd) => note(s, t, &format!("{}: {}", who(p, hd, None), h(text))),
            None => note(s, t, &h(text)),
        },
    }
}

fn note(s: &mut String, t: &str, html: &str) {
    let _ = writeln!(s, "<li class=\"note\">{t}* {html}</li>");
}

/// A file name as a relative URL: every byte but `A-Za-z0-9._-` percent-encoded.
pub(crate) fn href(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The index page: the timeline, then a table of the conversations, each linking to its page.
pub fn render_index_html(index: &mut Index, sessions: &[LoginSession]) -> io::Result<String> {
    super::rendered(|out| write_index_html(out, index, sessions))
}

/// [`render_index_html`] to `out`, a row at a time.
pub fn write_index_html(
    out: &mut dyn io::Write,
    index: &mut Index,
    sessions: &[LoginSession],
) -> io::Result<()> {
    let mut s = head("MSN conversations");
    let _ = writeln!(
        s,
        "<h1>MSN conversations</h1>\n<p>{} conversation{}, {} login session{}. Times are UTC. \
<span class=\"local\">Blue</span>: the local side (a captured client); \
<span class=\"remote\">green</span>: the others.</p>",
        index.len(),
        if index.len() == 1 { "" } else { "s" },
        sessions.len(),
        if sessions.len() == 1 { "" } else { "s" },
    );
    s.push_str(&super::svg::render_timeline(index.sketch(), sessions));
    s.push_str(
        "<table class=\"list\">\n<tr><th>#</th><th>Start (UTC)</th><th>Duration</th>\
<th>Participants</th><th>Messages</th><th>Files</th></tr>\n",
    );
    out.write_all(s.as_bytes())?;
    index.for_each(|c| {
        s.clear();
        let _ = write!(
            s,
            "<tr><td><a href=\"{}.html\">{}</a></td><td><time>{}</time></td><td>{}</td><td>",
            href(&c.stem),
            c.id,
            utc(c.start),
            duration(c.start, c.end)
        );
        let people: Vec<String> = c
            .participants
            .iter()
            .map(|p| {
                let side = if p.local { "local" } else { "remote" };
                match &p.name {
                    Some(n) => format!(
                        "<span class=\"{side}\">{} &lt;{}&gt;</span>",
                        h(n),
                        h(&p.handle)
                    ),
                    None => format!("<span class=\"{side}\">{}</span>", h(&p.handle)),
                }
            })
            .collect();
        s.push_str(&people.join("<br>"));
        let files: Vec<String> = c.files.iter().map(|f| h(f)).collect();
        let _ = writeln!(
            s,
            "</td><td>{}</td><td>{}</td></tr>",
            c.messages,
            files.join("<br>")
        );
        out.write_all(s.as_bytes())
    })?;
    out.write_all(b"</table>\n")?;
    out.write_all(TAIL.as_bytes())
}

/// `contacts.html`: each principal's groups and contacts at the end of the capture, a table
/// per principal, then the presence changes in a table.
pub fn render_contacts_html(lists: &[ContactList], presence: &[PresenceChange]) -> String {
    let mut s = head("MSN contact lists");
    let _ = writeln!(
        s,
        "<h1>MSN contact lists</h1>\n<p>As they stand at the end of the capture. \
<a href=\"index.html\">Conversations</a>.</p>"
    );
    for l in lists {
        let _ = writeln!(s, "<h2 class=\"local\">{}</h2>", h(&l.principal));
        if !l.groups.is_empty() {
            let groups: Vec<String> = l
                .groups
                .iter()
                .map(|(id, name)| format!("{} ({})", h(name), h(id)))
                .collect();
            let _ = writeln!(s, "<p>Groups: {}</p>", groups.join(", "));
        }
        s.push_str(
            "<table class=\"list\">\n<tr><th>Contact</th><th>Friendly name</th>\
<th>Lists</th><th>Groups</th></tr>\n",
        );
        for c in &l.contacts {
            let groups: Vec<String> = c.groups.iter().map(|g| h(g)).collect();
            let _ = writeln!(
                s,
                "<tr><td class=\"remote\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h(&c.handle),
                c.friendly_name.as_deref().map(h).unwrap_or_default(),
                h(&c.lists.join(" ")),
                groups.join(", ")
            );
        }
        s.push_str("</table>\n");
    }
    if !presence.is_empty() {
        s.push_str(
            "<h2>Presence changes</h2>\n<table class=\"list\">\n<tr><th>Time (UTC)</th>\
<th>Contact</th><th>Status</th><th>Friendly name</th><th>Personal message</th>\
<th>Listening to</th><th>Told to</th></tr>\n",
        );
        for p in presence {
            let _ = writeln!(
                s,
                "<tr><td><time>{}</time></td><td class=\"remote\">{}</td><td>{}</td><td>{}</td>\
<td>{}</td><td>{}</td><td class=\"local\">{}</td></tr>",
                utc(p.ts),
                h(&p.handle),
                escape_html(&super::status_text(&p.status)),
                p.friendly_name.as_deref().map(h).unwrap_or_default(),
                p.personal_message.as_deref().map(h).unwrap_or_default(),
                p.current_media.as_deref().map(h).unwrap_or_default(),
                p.principal.as_deref().map(h).unwrap_or_default(),
            );
        }
        s.push_str("</table>\n");
    }
    s.push_str(TAIL);
    s
}
