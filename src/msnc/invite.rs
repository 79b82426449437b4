//! MSNC0 invitations (`text/x-msmsgsinvite`): how MSN Messenger up to 5.0 offered a file
//! (MSNFTP), a NetMeeting call, a voice conversation or another application to the people in
//! a switchboard, and how the offer was accepted or cancelled.
//!
//! Why it exists: the invitation is where a file's name and size, and the address and cookie
//! of the transfer connection, are said; a reader wants them named, and the application GUID
//! told by name.
//!
//! Guarantees: the fields are `Name: value` lines of the body, or of the header block when a
//! client left out the blank line (gaim 0.60 did); a field given in both places is read from
//! the body. Values stay in the data form of [`crate::escape`]: a file name is data, never a
//! path msnsniff acts on. Numbers that do not parse are left out (the payload keeps them).

use super::mime::{Header, find};

/// What the invitation message does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Invite,
    Accept,
    Cancel,
    /// Another word (data form).
    Other(String),
}

impl Command {
    fn parse(s: &str) -> Command {
        match s.to_ascii_uppercase().as_str() {
            "INVITE" => Command::Invite,
            "ACCEPT" => Command::Accept,
            "CANCEL" => Command::Cancel,
            _ => Command::Other(s.to_string()),
        }
    }
}

/// An application known by its `Application-GUID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    FileTransfer,
    NetMeeting,
    Voice,
    RemoteAssistance,
    Whiteboard,
    ApplicationSharing,
    BaldursGate2,
    MechWarriorMercenaries,
    /// From one third-party source only.
    Webcam,
}

/// Application GUIDs, compared without regard to case.
const APPS: &[(&str, App)] = &[
    ("{5D3E02AB-6190-11D3-BBBB-00C04F795683}", App::FileTransfer),
    ("{44BBA842-CC51-11CF-AAFA-00AA00B6015C}", App::NetMeeting),
    ("{02D3C01F-BF30-4825-A83A-DE7AF41648AA}", App::Voice),
    (
        "{56B994A7-380F-410B-9985-C809D78C1BDC}",
        App::RemoteAssistance,
    ),
    ("{1DF57D09-637A-4CA5-91B9-2C3EDAAF62FE}", App::Whiteboard),
    (
        "{F1B1920C-6A3C-4CE7-B18C-AFAB305FD03D}",
        App::ApplicationSharing,
    ),
    ("{8DAE4336-2B71-11D4-9A6C-006067325E47}", App::BaldursGate2),
    // One digit short, as the client sends it.
    (
        "{41FD0FA-2942-4DC4-B4C5-73D2C55F4C94}",
        App::MechWarriorMercenaries,
    ),
    ("{2A23868E-B45F-401D-B8B0-1E16B774A5B7}", App::Webcam),
];

impl App {
    pub fn from_guid(guid: &str) -> Option<App> {
        APPS.iter()
            .find(|(g, _)| g.eq_ignore_ascii_case(guid.trim()))
            .map(|(_, a)| *a)
    }

    /// The words for a note.
    pub fn words(self) -> &'static str {
        match self {
            App::FileTransfer => "file transfer",
            App::NetMeeting => "NetMeeting",
            App::Voice => "voice conversation",
            App::RemoteAssistance => "Remote Assistance",
            App::Whiteboard => "whiteboard",
            App::ApplicationSharing => "application sharing",
            App::BaldursGate2 => "Baldur's Gate 2 game",
            App::MechWarriorMercenaries => "MechWarrior Mercenaries game",
            App::Webcam => "webcam",
        }
    }
}

/// What a `Cancel-Code` means.
pub fn cancel_meaning(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_uppercase().as_str() {
        "REJECT" => "declined",
        "REJECT_NOT_INSTALLED" => "the application is not installed",
        "TIMEOUT" => "timed out",
        "FTTIMEOUT" => "the file transfer timed out",
        "OUTBANDCANCEL" => "cancelled outside the conversation",
        "FAIL" => "failed",
        _ => return None,
    })
}

/// One invitation message. Text fields are in the data form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invitation {
    /// `Invitation-Command`.
    pub command: Option<Command>,
    pub application_name: Option<String>,
    pub application_guid: Option<String>,
    /// The application the GUID names.
    pub application: Option<App>,
    /// `Invitation-Cookie`: ties the messages of one invitation together.
    pub cookie: Option<String>,
    /// `Application-File`.
    pub file: Option<String>,
    /// `Application-FileSize`.
    pub file_size: Option<u64>,
    pub ip_address: Option<String>,
    pub ip_address_internal: Option<String>,
    pub port: Option<u16>,
    pub port_x: Option<u16>,
    pub port_x_internal: Option<u16>,
    pub auth_cookie: Option<String>,
    pub cancel_code: Option<String>,
    /// `Connectivity: N`: the sender cannot take incoming connections.
    pub connectivity: Option<String>,
    /// `Request-Data`: fields the other side is asked to send back.
    pub request_data: Option<String>,
    /// `Sender-Connect: TRUE`: the receiver asks the sender to connect.
    pub sender_connect: Option<bool>,
    pub session_id: Option<String>,
    pub session_protocol: Option<String>,
}

impl Invitation {
    /// Reads the fields from the body lines, then the header lines.
    pub fn parse(body: &[Header], headers: &[Header]) -> Invitation {
        let get = |name: &str| {
            find(body, name)
                .or_else(|| find(headers, name))
                .map(str::to_string)
        };
        let port = |name: &str| get(name).and_then(|p| p.parse().ok());
        let guid = get("Application-GUID");
        Invitation {
            command: get("Invitation-Command").map(|c| Command::parse(&c)),
            application_name: get("Application-Name"),
            application: guid.as_deref().and_then(App::from_guid),
            application_guid: guid,
            cookie: get("Invitation-Cookie"),
            file: get("Application-File"),
            file_size: get("Application-FileSize").and_then(|s| s.parse().ok()),
            ip_address: get("IP-Address"),
            ip_address_internal: get("IP-Address-Internal"),
            port: port("Port"),
            port_x: port("PortX"),
            port_x_internal: port("PortX-Internal"),
            auth_cookie: get("AuthCookie"),
            cancel_code: get("Cancel-Code"),
            connectivity: get("Connectivity"),
            request_data: get("Request-Data"),
            sender_connect: get("Sender-Connect").map(|v| v.eq_ignore_ascii_case("TRUE")),
            session_id: get("Session-ID"),
            session_protocol: get("Session-Protocol"),
        }
    }

    /// One sentence: what is offered, accepted or cancelled.
    pub fn note(&self) -> String {
        // An answer names no application: the cookie ties it to its offer.
        let what = match (self.application, &self.application_name) {
            (Some(app), _) => format!("{} invitation", app.words()),
            (None, Some(name)) => format!("\"{name}\" invitation"),
            (None, None) => "invitation".to_string(),
        };
        let cookie = self
            .cookie
            .as_deref()
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        let mut s = match &self.command {
            Some(Command::Invite) => format!("{what}{cookie}"),
            Some(Command::Accept) => format!("{what}{cookie} accepted"),
            Some(Command::Cancel) => format!("{what}{cookie} cancelled"),
            Some(Command::Other(c)) => format!("{what}{cookie}: command {c}"),
            None => format!("{what}{cookie} without a command"),
        };
        if let Some(file) = &self.file {
            s.push_str(&format!(": file \"{file}\""));
            if let Some(size) = self.file_size {
                s.push_str(&format!(" ({size} bytes)"));
            }
        }
        if let Some(ip) = &self.ip_address {
            let port = self.port.unwrap_or(6891);
            let addr = if ip.contains(':') {
                format!("[{ip}]:{port}")
            } else {
                format!("{ip}:{port}")
            };
            s.push_str(&format!(", connect to {addr}"));
        }
        if let Some(code) = &self.cancel_code {
            s.push_str(&format!(": {code}"));
            if let Some(m) = cancel_meaning(code) {
                s.push_str(&format!(" ({m})"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msnc::mime::{Mime, fields};

    fn parse(payload: &[u8]) -> Invitation {
        let m = Mime::parse(payload);
        Invitation::parse(&fields(m.body), &m.headers)
    }

    #[test]
    fn a_file_offer() {
        let i = parse(b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\nApplication-Name: File Transfer\r\nApplication-GUID: {5d3e02ab-6190-11d3-bbbb-00c04f795683}\r\nInvitation-Command: INVITE\r\nInvitation-Cookie: 57496\r\nApplication-File: photo.jpg\r\nApplication-FileSize: 30210\r\nConnectivity: N\r\n\r\n");
        assert_eq!(i.command, Some(Command::Invite));
        assert_eq!(i.application, Some(App::FileTransfer));
        assert_eq!(i.file_size, Some(30210));
        assert_eq!(i.connectivity.as_deref(), Some("N"));
        assert_eq!(
            i.note(),
            "file transfer invitation 57496: file \"photo.jpg\" (30210 bytes)"
        );
    }

    #[test]
    fn accept_and_cancel() {
        let i = parse(b"Content-Type: text/x-msmsgsinvite\r\n\r\nInvitation-Command: ACCEPT\r\nInvitation-Cookie: 7\r\nIP-Address: 10.0.0.1\r\nPort: 6891\r\nPortX: 11178\r\nAuthCookie: 1234\r\nSender-Connect: TRUE\r\n");
        assert_eq!(i.port, Some(6891));
        assert_eq!(i.port_x, Some(11178));
        assert_eq!(i.auth_cookie.as_deref(), Some("1234"));
        assert_eq!(i.sender_connect, Some(true));
        assert_eq!(i.note(), "invitation 7 accepted, connect to 10.0.0.1:6891");
        let i = parse(b"Content-Type: text/x-msmsgsinvite\r\n\r\nInvitation-Command: CANCEL\r\nInvitation-Cookie: 7\r\nCancel-Code: REJECT_NOT_INSTALLED\r\n");
        assert_eq!(
            i.note(),
            "invitation 7 cancelled: REJECT_NOT_INSTALLED (the application is not installed)"
        );
    }

    #[test]
    fn fields_in_the_header_block_count_when_the_blank_line_is_missing() {
        let i = parse(b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite\r\nApplication-GUID: {44BBA842-CC51-11CF-AAFA-00AA00B6015C}\r\nInvitation-Command: invite\r\nInvitation-Cookie: 99\r\n");
        assert_eq!(i.application, Some(App::NetMeeting));
        assert_eq!(i.note(), "NetMeeting invitation 99");
    }

    #[test]
    fn every_known_guid_is_named() {
        for (guid, app) in APPS {
            assert_eq!(App::from_guid(&guid.to_lowercase()), Some(*app));
        }
        assert_eq!(
            App::from_guid("{00000000-0000-0000-0000-000000000000}"),
            None
        );
    }

    #[test]
    fn a_hostile_file_name_is_data() {
        let i = parse(
            "Content-Type: text/x-msmsgsinvite\r\n\r\nInvitation-Command: INVITE\r\nApplication-File: ..\\..\\evil\u{202e}gnp.exe\r\nApplication-FileSize: -1\r\nPort: 99999\r\n"
                .as_bytes(),
        );
        assert_eq!(i.file.as_deref(), Some("..\\\\..\\\\evil\u{202e}gnp.exe"));
        assert_eq!(i.file_size, None);
        assert_eq!(i.port, None);
        assert_eq!(
            crate::escape::one_line(&i.note()),
            "invitation: file \"..\\\\..\\\\evil\\u{202E}gnp.exe\""
        );
    }
}
