//! One-line, plain-English notes for commands whose meaning is not obvious from the line.
//!
//! Notes are built from the named fields, so they agree with them. They are always a single
//! line: any character below 0x20 (and DEL) that came from the wire is written as `\xNN`.

use serde_json::{Map, Value};

use super::fields::{named_fields, notification_type_name, out_reason};
use super::presence::status_name;
use crate::Direction;
use crate::msnp::errors::error_meaning;
use crate::msnp::{Dialect, Verb};

/// A short sentence saying what this command means, or `None` when the line speaks for itself.
/// `params` exclude the TrID, as for `named_fields`.
pub fn note(
    verb: Verb,
    dir: Direction,
    dialect: Option<Dialect>,
    params: &[String],
) -> Option<String> {
    let f = named_fields(verb, dir, dialect, params, true);
    let text = |name: &str| f.get(name).and_then(Value::as_str);
    let c2s = dir == Direction::ClientToServer;
    let sentence = if let Some(code) = verb.error_code() {
        match error_meaning(code) {
            Some(meaning) => format!("error {code}: {meaning}"),
            None => format!("error {code} (undocumented)"),
        }
    } else {
        match &verb.0 {
            b"ACK" => "message delivered".to_owned(),
            b"NAK" => "message could not be delivered".to_owned(),
            b"ILN" | b"NLN" => {
                let who = text("handle")?;
                format!("{who} is now {}", status_label(text("status")?))
            }
            b"FLN" => format!("{} went offline", text("handle")?),
            b"CHG" => {
                let status = status_label(text("status")?);
                if c2s {
                    format!("you set your status to {status}")
                } else {
                    format!("status changed to {status}")
                }
            }
            b"XFR" => xfr(&f, c2s)?,
            b"RNG" => format!(
                "{} invites you to a switchboard at {}",
                text("handle")?,
                text("address")?
            ),
            b"JOI" => format!("{} joined the conversation", text("handle")?),
            b"IRO" => {
                let who = text("handle")?;
                match (f.get("index"), f.get("total")) {
                    (Some(i), Some(t)) => {
                        format!("{who} is already in the conversation ({i} of {t})")
                    }
                    _ => format!("{who} is already in the conversation"),
                }
            }
            b"BYE" => {
                let who = text("handle")?;
                if f.get("idle_timeout") == Some(&Value::Bool(true)) {
                    format!("{who} left the conversation (idle timeout)")
                } else {
                    format!("{who} left the conversation")
                }
            }
            b"CAL" if c2s => format!("inviting {} into the conversation", text("handle")?),
            b"CAL" => format!("ringing, session {}", f.get("session_id")?),
            b"ANS" if !c2s => "joined the conversation".to_owned(),
            b"OUT" => match text("reason") {
                Some(reason) => match out_reason(reason) {
                    Some(meaning) => meaning.to_owned(),
                    None => format!("signed out (reason {reason})"),
                },
                None if c2s => "client ends the session".to_owned(),
                None => "server ends the session".to_owned(),
            },
            b"USR" => usr(&f, c2s)?,
            b"VER" if !c2s => {
                if f.contains_key("no_common_dialect") {
                    "no common dialect".to_owned()
                } else {
                    match text("dialect")? {
                        "CVR0" => "no usable dialect: version check only (CVR0)".to_owned(),
                        d => format!("dialect {d} chosen"),
                    }
                }
            }
            b"ADD" | b"ADC" if !c2s && text("list") == Some("RL") => {
                format!("{} added you to their contact list", text("handle")?)
            }
            b"REM" if !c2s && text("list") == Some("RL") => {
                format!("{} removed you from their contact list", text("handle")?)
            }
            b"CHL" if !c2s => "challenge: the client must answer with QRY".to_owned(),
            b"QRY" if !c2s => "challenge answer accepted".to_owned(),
            b"BLP" => match text("privacy")? {
                "AL" => "anyone not on your block list may see you".to_owned(),
                "BL" => "only people on your allow list may see you".to_owned(),
                _ => return None,
            },
            b"GTC" => match text("add_prompt")? {
                "A" => "ask when someone adds you".to_owned(),
                "N" => "do not ask when someone adds you".to_owned(),
                _ => return None,
            },
            b"QNG" => format!("next ping due in {} s", f.get("next_ping_seconds")?),
            b"UUN" | b"UBN" => {
                let kind = f.get("notification_type").and_then(|t| match t {
                    Value::Number(n) => notification_type_name(&n.to_string()),
                    _ => None,
                })?;
                format!("{kind} notification for {}", text("handle")?)
            }
            b"RFS" => "server asks for an address-book refresh".to_owned(),
            _ => return None,
        }
    };
    Some(one_line(&sentence))
}

fn status_label(code: &str) -> &str {
    status_name(code).unwrap_or(code)
}

fn xfr(f: &Map<String, Value>, c2s: bool) -> Option<String> {
    let text = |name: &str| f.get(name).and_then(Value::as_str);
    let address = text("address");
    match (text("server_type")?, address) {
        ("SB", None) if c2s => Some("asks for a switchboard".to_owned()),
        ("SB", Some(address)) => match text("cookie") {
            Some(cookie) => Some(format!(
                "switchboard {address} offered with cookie {cookie}"
            )),
            None => Some(format!("switchboard {address} offered")),
        },
        ("NS", Some(address)) => Some(format!("redirected to notification server {address}")),
        _ => None,
    }
}

fn usr(f: &Map<String, Value>, c2s: bool) -> Option<String> {
    let text = |name: &str| f.get(name).and_then(Value::as_str);
    if text("result") == Some("OK") {
        return Some(format!("login accepted for {}", text("handle")?));
    }
    match (text("auth_method"), text("stage")) {
        (Some(method), Some("I")) => {
            Some(format!("{method} login started for {}", text("handle")?))
        }
        (Some(method), Some("S")) if !c2s => Some(format!("{method} challenge sent")),
        (Some(method), Some("S")) => Some(format!("{method} credentials sent")),
        (None, _) if c2s => Some(format!("joining a switchboard as {}", text("handle")?)),
        _ => None,
    }
}

/// Escapes control characters so a note always stays on one line.
pub(super) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (c as u32) < 0x20 || c == '\u{7f}' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
