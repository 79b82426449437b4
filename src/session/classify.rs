//! Evidence from single commands: what a command says about its connection's role and
//! dialect, who is signed in, and which connections it announces. Pure functions of one
//! command; the session decides what to do with the evidence.

use crate::Direction;
use crate::event::{Channel, Role};
use crate::flow::ExpectedKind;
use crate::msnp::command::Command;
use crate::msnp::verbs::{self, Servers};
use crate::msnp::{Dialect, Verb};

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

/// Authentication methods of a notification-server `USR` (the SB `USR` has a handle there).
const AUTH_METHODS: [&str; 5] = ["MD5", "TWN", "SSO", "SHA", "CTP"];

/// What one command says about its connection's role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleEvidence {
    pub role: Role,
    /// Whether only that kind of server speaks this command (or the command proves it, like an
    /// accepted login). `false` when a dispatch server would say the same as a notification
    /// server (`VER`, `CVR`, `USR TWN I`): the role is then `NS` until the connection shows
    /// which it is.
    pub settled: bool,
    /// What was seen, in words: a fact, never a conclusion drawn from later lines.
    pub seen: Seen,
}

/// What a command showed, put in words only when a role is taken from it (most commands
/// only confirm a role already known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Words(&'static str),
    Text(String),
    /// `the client sent CHG`.
    Sent {
        who: &'static str,
        verb: Verb,
    },
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seen::Words(w) => f.write_str(w),
            Seen::Text(t) => f.write_str(t),
            Seen::Sent { who, verb } => write!(f, "{who} sent {}", verb.as_str()),
        }
    }
}

fn evidence(role: Role, settled: bool, seen: Seen) -> Option<RoleEvidence> {
    Some(RoleEvidence {
        role,
        settled,
        seen,
    })
}

/// The role a command points to, with what was seen. `logged_in`: the connection has had an
/// accepted login (`USR ... OK`) from a notification server.
pub fn role_evidence(cmd: &Command, dir: Direction, logged_in: bool) -> Option<RoleEvidence> {
    let p0 = cmd.params.first().map(String::as_str);
    let verb = cmd.verb.as_str();
    let who = match dir {
        C2S => "the client",
        S2C => "the server",
    };
    // Lines whose parameters decide.
    match (dir, verb) {
        (_, "VER") if cmd.params.iter().any(|w| w == "MSNFTP") => {
            return evidence(
                Role::FileTransfer,
                true,
                Seen::Text(format!("{who} sent VER MSNFTP")),
            );
        }
        (C2S, "USR") if p0.is_some_and(|m| AUTH_METHODS.contains(&m)) => {
            let method = p0.unwrap_or_default();
            return evidence(
                Role::Notification,
                false,
                Seen::Text(format!("the client sent USR {method}")),
            );
        }
        (C2S, "USR") if cmd.params.len() >= 2 => {
            return evidence(
                Role::Switchboard,
                true,
                Seen::Words("the client sent USR with a handle and a cookie"),
            );
        }
        (S2C, "USR") if p0 == Some("OK") => {
            // A notification server's accepted login; a switchboard's `USR trid OK handle
            // name` says the same words, so this only settles a connection already taken to
            // be NS (see `Step`).
            return evidence(
                Role::Notification,
                true,
                Seen::Words("the server accepted the login (USR OK)"),
            );
        }
        (S2C, "MSG") if p0 == Some("Hotmail") => {
            return evidence(
                Role::Notification,
                true,
                Seen::Words("the server relayed a message from Hotmail"),
            );
        }
        (S2C, "MSG") if p0.is_some_and(|h| h.contains('@')) => {
            return evidence(
                Role::Switchboard,
                true,
                Seen::Words("the server relayed a message from another user"),
            );
        }
        (S2C, "MSG") => return None,
        (S2C, "XFR") if p0 == Some("NS") && !logged_in => {
            return evidence(
                Role::Dispatch,
                true,
                Seen::Words("the server redirected the client with XFR NS before any login"),
            );
        }
        _ => {}
    }
    // Otherwise: who speaks this verb this way, from the verb table.
    let servers = verbs::lookup(cmd.verb)?.side(dir).servers;
    let (role, settled) = if servers == Servers::SB {
        (Role::Switchboard, true)
    } else if servers == Servers::NS {
        (Role::Notification, true)
    } else if servers == Servers::FTP {
        (Role::FileTransfer, true)
    } else if servers == Servers::DS | Servers::NS
        || servers == Servers::DS | Servers::NS | Servers::FTP
    {
        (Role::Notification, false)
    } else {
        return None;
    };
    evidence(
        role,
        settled,
        Seen::Sent {
            who,
            verb: cmd.verb,
        },
    )
}

/// The dialect the server chose in its `VER` reply, or MSNFTP from either side's
/// `VER MSNFTP` (the receiver speaks first, and is the server when the sender connects).
pub fn dialect_from_ver(cmd: &Command, dir: Direction) -> Option<Dialect> {
    if cmd.verb.as_str() != "VER" {
        return None;
    }
    if cmd.params.first().is_some_and(|p| p == "MSNFTP") {
        return Some(Dialect::MSNFTP);
    }
    if dir != S2C {
        return None;
    }
    cmd.params
        .iter()
        .find_map(|w| Dialect::parse(w))
        .filter(|d| !d.is_msnftp())
}

/// A dialect guessed from a command when `VER` was not captured, with what it was guessed
/// from: the lowest dialect that has the command in this form (a lower bound), or the dialect
/// a client of that capability level usually speaks (the client's own, or another
/// participant's: weaker evidence, said so in the basis).
pub fn dialect_evidence(cmd: &Command, dir: Direction) -> Option<(Dialect, String)> {
    let p0 = cmd.params.first().map(String::as_str);
    let verb = cmd.verb.as_str();
    // Verbs only MSNFTP has (its VER is `dialect_from_ver`'s).
    if matches!((dir, verb), (_, "FIL" | "TFR" | "CCL")) {
        return Some((Dialect::MSNFTP, verb.to_string()));
    }
    let lowest = match (dir, verb) {
        (C2S, "USR") if p0 == Some("SSO") => Some(15),
        (C2S, "USR") if p0 == Some("TWN") => Some(8),
        (C2S, "ADL" | "RML" | "FQY") | (S2C, "ADL" | "UBN") => Some(13),
        (C2S, "UUM") | (S2C, "UBM") => Some(14),
        (C2S, "UUX") | (S2C, "UBX" | "GCF") => Some(11),
        (C2S, "ADC") => Some(10),
        _ => None,
    };
    if let Some(n) = lowest {
        let what = match (verb, p0) {
            ("USR", Some(method)) => format!("USR {method}"),
            _ => verb.to_string(),
        };
        return Some((Dialect(n), what));
    }
    // A client id (its MSNC level) in the places that carry one.
    let (id_at, whose) = match (dir, verb) {
        (C2S, "CHG") => (1, "the client's capabilities in CHG"),
        (S2C, "JOI") => (2, "a participant's client capabilities in JOI"),
        (S2C, "IRO") => (4, "a participant's client capabilities in IRO"),
        _ => return None,
    };
    let id = cmd.params.get(id_at)?;
    let caps = id.split(':').next()?.parse::<u32>().ok()?;
    verbs::infer_dialect_from_client_id(caps).map(|d| (d, whose.to_string()))
}

/// The signed-in user's handle, when a command names it.
pub fn principal(cmd: &Command, dir: Direction, role: Role) -> Option<String> {
    let p = &cmd.params;
    let handle = match (dir, cmd.verb.as_str()) {
        // NS login: USR trid TWN I handle / MD5 I handle / SSO I handle
        (C2S, "USR") if p.len() >= 3 && AUTH_METHODS.contains(&p[0].as_str()) && p[1] == "I" => {
            &p[2]
        }
        // NS: USR trid OK handle ...
        (S2C, "USR") if p.len() >= 2 && p[0] == "OK" && role != Role::Switchboard => &p[1],
        // SB: USR trid handle cookie, ANS trid handle cookie sid, USR trid OK handle name
        (C2S, "USR") if p.len() >= 2 && !AUTH_METHODS.contains(&p[0].as_str()) => &p[0],
        (C2S, "ANS") if p.len() >= 2 => &p[0],
        (S2C, "USR") if p.len() >= 2 && p[0] == "OK" => &p[1],
        _ => return None,
    };
    // MSNP16+ endpoints: handle;{guid}
    let bare = handle.split(';').next().unwrap_or(handle);
    bare.contains('@').then(|| bare.to_ascii_lowercase())
}

/// A connection this command announces: (address, cookie, kind). File transfers are
/// announced by invitations ([`invitation`]).
pub fn announcement(cmd: &Command, dir: Direction) -> Option<(String, String, ExpectedKind)> {
    let p = &cmd.params;
    let cookie_after = |i: usize| {
        if p.get(i).map(String::as_str) == Some("CKI") {
            p.get(i + 1).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    match (dir, cmd.verb.as_str()) {
        // XFR trid SB addr CKI cookie ...
        (S2C, "XFR") if p.first().map(String::as_str) == Some("SB") => Some((
            p.get(1)?.clone(),
            cookie_after(2),
            ExpectedKind::Switchboard,
        )),
        // XFR trid NS addr ...
        (S2C, "XFR") if p.first().map(String::as_str) == Some("NS") => {
            Some((p.get(1)?.clone(), String::new(), ExpectedKind::Notification))
        }
        // RNG session-id addr CKI cookie handle name ...
        (S2C, "RNG") => Some((
            p.get(1)?.clone(),
            cookie_after(2),
            ExpectedKind::Switchboard,
        )),
        _ => None,
    }
}

/// Where an accepted file invitation says to connect: `IP-Address` and `Port` (6891, the
/// MSNFTP port, when absent), as `ip:port` or `[ip]:port`.
pub fn invitation_address(inv: &crate::msnc::invite::Invitation) -> Option<String> {
    let ip = inv.ip_address.as_deref()?;
    let port = inv.port.unwrap_or(6891);
    Some(if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    })
}

/// Who wrote a message: on a client's command the connection's signed-in user; on a server's
/// `MSG handle friendly len` (or `UBM handle ...`) the handle it names, without a network
/// prefix (`1:`) or an endpoint (`;{guid}`).
pub fn message_sender(cmd: &Command, dir: Direction, principal: Option<&str>) -> Option<String> {
    match dir {
        C2S => principal.map(str::to_string),
        S2C => cmd.params.first().map(|raw| bare_handle(raw)),
    }
}

/// A handle without a network prefix (`1:`) or an endpoint (`;{guid}`).
pub fn bare_handle(raw: &str) -> String {
    let no_network = match crate::msnp::split_once_ascii(raw, b':') {
        Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty() => rest,
        _ => raw,
    };
    match crate::msnp::split_once_ascii(no_network, b';') {
        Some((handle, _)) => handle,
        None => no_network,
    }
    .to_string()
}

/// The cookie a client presents to join a switchboard (`USR trid handle cookie`,
/// `ANS trid handle cookie session-id`).
pub fn presented_cookie(cmd: &Command, dir: Direction) -> Option<String> {
    if dir != C2S {
        return None;
    }
    let p = &cmd.params;
    match cmd.verb.as_str() {
        "USR" if p.len() >= 2 && !AUTH_METHODS.contains(&p[0].as_str()) => Some(p[1].clone()),
        "ANS" if p.len() >= 2 => Some(p[1].clone()),
        _ => None,
    }
}

/// The channel of a line: MSG bodies exchanged through a switchboard are the client-to-client
/// protocol (MSNC); MSNFTP is client-to-client too; everything else follows the server.
pub fn channel(role: Role, cmd: &Command, dir: Direction) -> Channel {
    let verb = cmd.verb.as_str();
    match role {
        Role::FileTransfer => Channel::Msnc,
        Role::Switchboard if verb == "MSG" => Channel::Msnc,
        Role::Switchboard => Channel::Sb,
        Role::Dispatch | Role::Notification => Channel::Ns,
        Role::Unknown => {
            // Without a role: a client MSG with an ack mode is switchboard chat.
            let ack_mode = cmd.params.first().map(String::as_str);
            let from_user = cmd.params.first().is_some_and(|h| h.contains('@'));
            if verb == "MSG"
                && ((dir == C2S && matches!(ack_mode, Some("A" | "N" | "U" | "D")))
                    || (dir == S2C && from_user))
            {
                Channel::Msnc
            } else if matches!(verb, "IRO" | "JOI" | "BYE" | "CAL" | "ANS" | "ACK" | "NAK") {
                Channel::Sb
            } else {
                Channel::Ns
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_invitation_says_where_to_connect() {
        use crate::msnc::{Kind, decode};
        // gaim 0.60 leaves out the empty line and ends lines with a bare newline.
        let gaim = b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\nInvitation-Command: ACCEPT\nInvitation-Cookie: 5\nIP-Address: 10.0.0.9\nPort: 6892\nAuthCookie: 123\n";
        let Kind::Invitation(inv) = decode(gaim, None).kind else {
            panic!("an invitation");
        };
        assert_eq!(invitation_address(&inv).as_deref(), Some("10.0.0.9:6892"));
        assert_eq!(inv.auth_cookie.as_deref(), Some("123"));
        let v6 = b"Content-Type: text/x-msmsgsinvite\r\n\r\nInvitation-Command: ACCEPT\r\nIP-Address: 2001:db8::9\r\n\r\n";
        let Kind::Invitation(inv) = decode(v6, None).kind else {
            panic!("an invitation");
        };
        assert_eq!(
            invitation_address(&inv).as_deref(),
            Some("[2001:db8::9]:6891")
        );
    }

    #[test]
    fn a_message_is_written_by_the_principal_or_the_handle_the_server_names() {
        let line = |l: &str, dir| crate::msnp::parse_command_line(l.as_bytes(), dir, None).unwrap();
        let c = line("MSG 4 N 12", C2S);
        assert_eq!(
            message_sender(&c, C2S, Some("alice@x.com")).as_deref(),
            Some("alice@x.com")
        );
        assert_eq!(message_sender(&c, C2S, None), None);
        let s = line("MSG 1:bob@x.com;{f00} Bob 12", S2C);
        assert_eq!(message_sender(&s, S2C, None).as_deref(), Some("bob@x.com"));
    }
}
