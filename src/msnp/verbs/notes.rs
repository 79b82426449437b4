//! One-line, plain-English notes for commands whose meaning is not obvious from the line. The
//! verb table names one function of this module per verb ([`none`] for lines that speak for
//! themselves).
//!
//! Notes are written from the typed fields of the same line, so they agree with them and a
//! misnamed field cannot compile. They state only what the line itself says. The caller makes
//! them one line ([`super::describe`]).

use super::Line;
use super::fields::{notification_type_name, out_reason};
use super::presence::status_name;
use crate::msnp::errors::error_meaning;
use crate::msnp::named::{Fields, Name as N};

/// Error replies `NNN`.
pub(super) fn error(code: u16) -> String {
    match error_meaning(code) {
        Some(meaning) => format!("error {code}: {meaning}"),
        None => format!("error {code} (undocumented)"),
    }
}

pub(super) fn ack(_: &Fields, _: Line<'_>) -> Option<String> {
    Some("message delivered".to_owned())
}

pub(super) fn nak(_: &Fields, _: Line<'_>) -> Option<String> {
    Some("message could not be delivered".to_owned())
}

/// ILN / NLN.
pub(super) fn presence(f: &Fields, _: Line<'_>) -> Option<String> {
    let who = f.text(N::Handle)?;
    Some([who, " is now ", status_label(f.text(N::Status)?)].concat())
}

pub(super) fn fln(f: &Fields, _: Line<'_>) -> Option<String> {
    Some([f.text(N::Handle)?, " went offline"].concat())
}

pub(super) fn chg(f: &Fields, l: Line<'_>) -> Option<String> {
    let status = status_label(f.text(N::Status)?);
    Some(if l.c2s() {
        ["you set your status to ", status].concat()
    } else {
        ["status changed to ", status].concat()
    })
}

pub(super) fn xfr(f: &Fields, l: Line<'_>) -> Option<String> {
    match (f.text(N::ServerType)?, f.text(N::Address)) {
        ("SB", None) if l.c2s() => Some("asks for a switchboard".to_owned()),
        ("SB", Some(address)) => match f.text(N::Cookie) {
            Some(cookie) => {
                Some(["switchboard ", address, " offered with cookie ", cookie].concat())
            }
            None => Some(["switchboard ", address, " offered"].concat()),
        },
        ("NS", Some(address)) => Some(["redirected to notification server ", address].concat()),
        _ => None,
    }
}

pub(super) fn rng(f: &Fields, _: Line<'_>) -> Option<String> {
    Some(
        [
            f.text(N::Handle)?,
            " invites you to a switchboard at ",
            f.text(N::Address)?,
        ]
        .concat(),
    )
}

pub(super) fn joi(f: &Fields, _: Line<'_>) -> Option<String> {
    Some([f.text(N::Handle)?, " joined the conversation"].concat())
}

pub(super) fn iro(f: &Fields, _: Line<'_>) -> Option<String> {
    let who = f.text(N::Handle)?;
    Some(match (f.get(N::Index), f.get(N::Total)) {
        (Some(i), Some(t)) => format!("{who} is already in the conversation ({i} of {t})"),
        _ => [who, " is already in the conversation"].concat(),
    })
}

pub(super) fn bye(f: &Fields, l: Line<'_>) -> Option<String> {
    if l.ftp {
        return Some(match (f.text(N::Meaning), f.get(N::Code)) {
            (Some(meaning), _) => meaning.to_owned(),
            (None, Some(code)) => format!("the receiver ends the transfer (code {code})"),
            (None, None) => "the receiver ends the transfer".to_owned(),
        });
    }
    if l.c2s() {
        // A client's BYE belongs to MSNFTP (its code is not a handle).
        return None;
    }
    let who = f.text(N::Handle)?;
    Some(
        if f.get(N::IdleTimeout) == Some(&crate::msnp::named::Value::Bool(true)) {
            [who, " left the conversation (idle timeout)"].concat()
        } else {
            [who, " left the conversation"].concat()
        },
    )
}

pub(super) fn cal(f: &Fields, l: Line<'_>) -> Option<String> {
    if l.c2s() {
        Some(["inviting ", f.text(N::Handle)?, " into the conversation"].concat())
    } else {
        Some(format!("ringing, session {}", f.get(N::SessionId)?))
    }
}

pub(super) fn ans(_: &Fields, l: Line<'_>) -> Option<String> {
    (!l.c2s()).then(|| "joined the conversation".to_owned())
}

pub(super) fn out(f: &Fields, l: Line<'_>) -> Option<String> {
    Some(match f.text(N::Reason) {
        Some(reason) => match out_reason(reason) {
            Some(meaning) => meaning.to_owned(),
            None => format!("signed out (reason {reason})"),
        },
        None if l.c2s() => "client ends the session".to_owned(),
        None => "server ends the session".to_owned(),
    })
}

pub(super) fn usr(f: &Fields, l: Line<'_>) -> Option<String> {
    if l.ftp {
        // Only the receiver sends USR on MSNFTP: its handle and the invitation's AuthCookie.
        return Some(match (f.text(N::Handle), f.text(N::Cookie)) {
            (Some(who), Some(cookie)) => format!("receiver {who} presents AuthCookie {cookie}"),
            _ => "the receiver identifies itself".to_owned(),
        });
    }
    if f.text(N::Result) == Some("OK") {
        return Some(format!("login accepted for {}", f.text(N::Handle)?));
    }
    match (f.text(N::AuthMethod), f.text(N::Stage)) {
        (Some(method), Some("I")) => {
            Some(format!("{method} login started for {}", f.text(N::Handle)?))
        }
        (Some(method), Some("S")) if !l.c2s() => Some(format!("{method} challenge sent")),
        (Some(method), Some("S")) => Some(format!("{method} credentials sent")),
        (None, _) if l.c2s() && f.has(N::Cookie) => {
            Some(format!("joining a switchboard as {}", f.text(N::Handle)?))
        }
        _ => None,
    }
}

pub(super) fn ver(f: &Fields, l: Line<'_>) -> Option<String> {
    if l.c2s() || l.ftp {
        // MSNFTP's VER only checks that both sides speak it: nothing is chosen.
        return None;
    }
    if f.has(N::NoCommonDialect) {
        return Some("no common dialect".to_owned());
    }
    Some(match f.text(N::Dialect)? {
        "CVR0" => "no usable dialect: version check only (CVR0)".to_owned(),
        d => ["dialect ", d, " chosen"].concat(),
    })
}

/// ADD / ADC: someone added you.
pub(super) fn added(f: &Fields, l: Line<'_>) -> Option<String> {
    (!l.c2s() && f.text(N::List) == Some("RL"))
        .then(|| f.text(N::Handle))
        .flatten()
        .map(|who| format!("{who} added you to their contact list"))
}

/// REM: someone removed you.
pub(super) fn removed(f: &Fields, l: Line<'_>) -> Option<String> {
    (!l.c2s() && f.text(N::List) == Some("RL"))
        .then(|| f.text(N::Handle))
        .flatten()
        .map(|who| format!("{who} removed you from their contact list"))
}

pub(super) fn chl(_: &Fields, l: Line<'_>) -> Option<String> {
    (!l.c2s()).then(|| "challenge: the client must answer with QRY".to_owned())
}

pub(super) fn qry(_: &Fields, l: Line<'_>) -> Option<String> {
    (!l.c2s()).then(|| "challenge answer accepted".to_owned())
}

pub(super) fn blp(f: &Fields, _: Line<'_>) -> Option<String> {
    match f.text(N::Privacy)? {
        "AL" => Some("anyone not on your block list may see you".to_owned()),
        "BL" => Some("only people on your allow list may see you".to_owned()),
        _ => None,
    }
}

pub(super) fn gtc(f: &Fields, _: Line<'_>) -> Option<String> {
    match f.text(N::AddPrompt)? {
        "A" => Some("ask when someone adds you".to_owned()),
        "N" => Some("do not ask when someone adds you".to_owned()),
        _ => None,
    }
}

pub(super) fn qng(f: &Fields, _: Line<'_>) -> Option<String> {
    Some(format!("next ping due in {} s", f.get(N::NextPingSeconds)?))
}

/// UUN / UBN.
pub(super) fn user_notification(f: &Fields, _: Line<'_>) -> Option<String> {
    let kind = notification_type_name(&f.num(N::NotificationType)?.to_string())?;
    Some(format!("{kind} notification for {}", f.text(N::Handle)?))
}

pub(super) fn rfs(_: &Fields, _: Line<'_>) -> Option<String> {
    Some("server asks for an address-book refresh".to_owned())
}

fn status_label(code: &str) -> &str {
    status_name(code).unwrap_or(code)
}

/// FIL (MSNFTP, from the sender).
pub(super) fn fil(f: &Fields, _: Line<'_>) -> Option<String> {
    Some(format!("the file is {} bytes", f.get(N::FileSize)?))
}

/// TFR (MSNFTP, from the receiver).
pub(super) fn tfr(_: &Fields, _: Line<'_>) -> Option<String> {
    Some("the receiver asks the sender to start sending".to_owned())
}

/// CCL (MSNFTP, from the receiver).
pub(super) fn ccl(_: &Fields, _: Line<'_>) -> Option<String> {
    Some("the receiver cancels the transfer".to_owned())
}
