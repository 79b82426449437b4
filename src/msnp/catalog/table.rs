//! The command table: every command of MSNP2 to MSNP21 the reference lists (§2.1), which
//! servers speak it, the dialects that have it, and what it is for in one line.

use crate::msnp::{Dialect, Verb};

/// Which servers use a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Servers {
    pub dispatch: bool,
    pub notification: bool,
    pub switchboard: bool,
}

const NS: Servers = Servers {
    dispatch: false,
    notification: true,
    switchboard: false,
};
const SB: Servers = Servers {
    dispatch: false,
    notification: false,
    switchboard: true,
};
const DS_NS: Servers = Servers {
    dispatch: true,
    notification: true,
    switchboard: false,
};
const NS_SB: Servers = Servers {
    dispatch: false,
    notification: true,
    switchboard: true,
};
const ALL: Servers = Servers {
    dispatch: true,
    notification: true,
    switchboard: true,
};

/// One command in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerbInfo {
    pub verb: Verb,
    pub servers: Servers,
    /// First dialect that has the command.
    pub since: u8,
    /// Last dialect that has it, when it was removed.
    pub until: Option<u8>,
    /// What the command does, in one line.
    pub summary: &'static str,
}

impl VerbInfo {
    /// Whether the command belongs to this dialect. Unknown dialects accept everything.
    pub fn in_dialect(&self, dialect: Option<Dialect>) -> bool {
        match dialect {
            None => true,
            Some(Dialect(d)) => d >= self.since && self.until.is_none_or(|u| d <= u),
        }
    }
}

const fn info(
    verb: &[u8; 3],
    servers: Servers,
    since: u8,
    until: Option<u8>,
    summary: &'static str,
) -> VerbInfo {
    VerbInfo {
        verb: Verb::new(verb),
        servers,
        since,
        until,
        summary,
    }
}

/// The catalogue, in alphabetical order.
pub const VERBS: &[VerbInfo] = &[
    info(b"ACK", SB, 2, None, "message delivered"),
    info(b"ADC", NS, 10, Some(12), "add a contact to a list or group"),
    info(b"ADD", NS, 2, Some(9), "add a handle to a list"),
    info(b"ADG", NS, 7, Some(12), "create a contact group"),
    info(b"ADL", NS, 13, None, "add contacts to lists (XML)"),
    info(
        b"ANS",
        SB,
        2,
        None,
        "join a switchboard after an invitation",
    ),
    info(b"BLP", NS, 2, None, "default privacy setting"),
    info(
        b"BPR",
        NS,
        5,
        Some(12),
        "a contact's phone or mobile property",
    ),
    info(b"BYE", SB, 2, None, "a participant left the switchboard"),
    info(b"CAL", SB, 2, None, "invite a user into the switchboard"),
    info(b"CHG", NS, 2, None, "set own status"),
    info(b"CHL", NS, 6, None, "challenge to be answered with QRY"),
    info(b"CVQ", DS_NS, 2, None, "version query under CVR0"),
    info(b"CVR", DS_NS, 2, None, "client and OS version report"),
    info(
        b"DEL",
        NS,
        18,
        None,
        "delete stored documents or endpoint data",
    ),
    info(b"FLN", NS, 2, None, "a contact went offline"),
    info(b"FND", NS, 2, Some(7), "member directory search"),
    info(b"FQY", NS, 14, None, "federation query"),
    info(b"FSL", NS, 21, None, "undocumented MSNP21 payload command"),
    info(b"GCF", NS, 11, None, "download a configuration file"),
    info(b"GET", NS, 21, None, "fetch stored data"),
    info(b"GSB", NS, 11, Some(11), "rarely seen MSNP11 request"),
    info(
        b"GTC",
        NS,
        2,
        Some(12),
        "whether to ask when someone adds you",
    ),
    info(b"ILN", NS, 2, None, "initial presence of a contact"),
    info(
        b"IMS",
        NS,
        3,
        None,
        "switch incoming switchboard sessions on or off",
    ),
    info(
        b"INF",
        DS_NS,
        2,
        Some(7),
        "ask for the supported login methods",
    ),
    info(b"IPG", NS, 6, None, "incoming page or mobile message"),
    info(
        b"IRO",
        SB,
        2,
        None,
        "a participant already in the switchboard",
    ),
    info(b"JOI", SB, 2, None, "a participant joined the switchboard"),
    info(b"LSG", NS, 7, Some(12), "group list entry"),
    info(b"LST", NS, 2, Some(12), "contact list entry"),
    info(b"MSG", NS_SB, 2, None, "message with a MIME body"),
    info(b"NAK", SB, 2, None, "message not delivered"),
    info(b"NFY", NS, 18, None, "someone's stored document changed"),
    info(
        b"NLN",
        NS,
        2,
        None,
        "a contact came online or changed presence",
    ),
    info(b"NOT", NS, 5, None, "MSN Alerts notification"),
    info(b"OUT", ALL, 2, None, "close the session"),
    info(b"PAG", NS, 5, None, "page a mobile device"),
    info(b"PGD", NS, 9, None, "page or mobile message"),
    info(b"PNG", NS, 2, None, "keep-alive ping"),
    info(
        b"PRP",
        NS,
        5,
        None,
        "own property (phone numbers, friendly name)",
    ),
    info(b"PUT", NS, 18, None, "store data or presence documents"),
    info(b"QNG", NS, 2, None, "reply to a ping"),
    info(b"QRY", NS, 6, None, "answer to a challenge"),
    info(b"REA", NS, 2, Some(9), "rename yourself or a contact"),
    info(b"REG", NS, 7, Some(12), "rename a group"),
    info(b"REM", NS, 2, Some(12), "remove from a list or group"),
    info(b"RFS", NS, 13, None, "refresh the address book"),
    info(b"RMG", NS, 7, Some(12), "delete a group"),
    info(b"RML", NS, 13, None, "remove contacts from lists (XML)"),
    info(b"RNG", NS, 2, None, "invitation into a switchboard"),
    info(b"SBP", NS, 10, Some(12), "set a contact's cached property"),
    info(b"SBS", NS, 11, None, "undocumented notice after login"),
    info(b"SDC", NS, 5, None, "send an e-mail invitation with a note"),
    info(b"SDG", NS, 18, None, "datagram to a circle or endpoint"),
    info(b"SND", NS, 2, None, "send an e-mail invitation"),
    info(b"SYN", NS, 2, Some(12), "synchronise lists and settings"),
    info(
        b"UBM",
        NS,
        14,
        None,
        "message from a federated (Yahoo!) user",
    ),
    info(b"UBN", NS, 13, None, "incoming user notification"),
    info(
        b"UBX",
        NS,
        11,
        None,
        "a contact's personal message or endpoint data",
    ),
    info(b"URL", NS, 2, None, "ask for a web service URL"),
    info(
        b"USR",
        ALL,
        2,
        None,
        "authentication, or joining a switchboard as caller",
    ),
    info(b"UUM", NS, 14, None, "message to a federated (Yahoo!) user"),
    info(b"UUN", NS, 13, None, "send a user notification"),
    info(
        b"UUX",
        NS,
        11,
        None,
        "set own personal message or endpoint data",
    ),
    info(b"VAS", NS, 18, None, "report a contact for abuse"),
    info(b"VER", DS_NS, 2, None, "dialect negotiation"),
    info(
        b"XFR",
        DS_NS,
        2,
        None,
        "switchboard request or notification server referral",
    ),
];

/// The catalogue entry of a named command. Error numbers have none; see `errors`.
pub fn verb_info(verb: Verb) -> Option<&'static VerbInfo> {
    VERBS.iter().find(|i| i.verb == verb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in VERBS.windows(2) {
            assert!(
                pair[0].verb < pair[1].verb,
                "{} / {}",
                pair[0].verb,
                pair[1].verb
            );
        }
    }

    #[test]
    fn dialect_ranges() {
        let adc = verb_info(Verb::new(b"ADC")).unwrap();
        assert!(!adc.in_dialect(Some(Dialect(9))));
        assert!(adc.in_dialect(Some(Dialect(10))));
        assert!(adc.in_dialect(Some(Dialect(12))));
        assert!(!adc.in_dialect(Some(Dialect(13))));
        assert!(adc.in_dialect(None));
        let msg = verb_info(Verb::new(b"MSG")).unwrap();
        assert!(msg.servers.switchboard && msg.servers.notification && !msg.servers.dispatch);
        assert!(verb_info(Verb::new(b"XYZ")).is_none());
    }
}
