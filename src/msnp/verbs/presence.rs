//! Names for the small codes of presence: statuses (reference §4.1), client-ID capability bits
//! and MSNC levels (§4.2), list bits (§4.3) and network IDs (§4.4).

use crate::msnp::Dialect;

/// The display name of a status code: `BSY` → `Busy`.
pub fn status_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "NLN" => "Online",
        "BSY" => "Busy",
        "IDL" => "Idle",
        "BRB" => "Be Right Back",
        "AWY" => "Away",
        "PHN" => "On the Phone",
        "LUN" => "Out to Lunch",
        "HDN" => "Appear Offline",
        "FLN" => "Offline",
        _ => return None,
    })
}

/// The network a network ID names (`1` → Windows Live / MSN, `32` → Yahoo!).
pub fn network_name(id: u32) -> Option<&'static str> {
    Some(match id {
        1 => "Windows Live",
        2 => "Office Communicator",
        4 => "Telephone",
        8 => "Mobile network interop",
        9 => "Circle",
        10 => "Temporary group",
        11 => "CID",
        13 => "Connect",
        14 => "Remote network",
        16 => "SMTP",
        32 => "Yahoo!",
        _ => return None,
    })
}

/// The lists, by bit, in the order LST and ADL count them.
const LISTS: [(u32, &str); 5] = [(1, "FL"), (2, "AL"), (4, "BL"), (8, "RL"), (16, "PL")];

/// The list names in a list-bits number: `11` → `["FL", "AL", "RL"]`. Unknown bits (MSNP18
/// circles go up to 32 and beyond) come out as hex, `0x20`.
pub fn list_names(bits: u32) -> Vec<String> {
    let mut names = Vec::with_capacity(bits.count_ones() as usize);
    each_list_name(bits, |name| names.push(name));
    names
}

/// [`list_names`] one name at a time, lowest bit first, without the list: only the bits that
/// are set are visited.
pub fn each_list_name(bits: u32, mut f: impl FnMut(String)) {
    let mut rest = bits;
    while rest != 0 {
        let mask = 1u32 << rest.trailing_zeros();
        rest &= rest - 1;
        f(match LISTS.iter().find(|(m, _)| *m == mask) {
            Some((_, name)) => (*name).to_owned(),
            None => format!("{mask:#x}"),
        });
    }
}

/// What a list name means, for notes: `FL` → `forward list`.
pub fn list_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "FL" => "forward list",
        "AL" => "allow list",
        "BL" => "block list",
        "RL" => "reverse list",
        "PL" => "pending list",
        _ => return None,
    })
}

/// The capability flags in the low 28 bits of the classic client ID, lowest bit first.
const CAPS: [&str; 28] = [
    "via_mobile",
    "via_texas",
    "ink_gif",
    "ink_isf",
    "video_chat",
    "packet",
    "mobile_on",
    "web_watch",
    "activities",
    "via_webim",
    "mobile_dev",
    "via_federated",
    "space",
    "mce",
    "direct_im",
    "winks",
    "search",
    "bot",
    "voice_im",
    "schannel",
    "sip_invite",
    "multi_vv",
    "sdrive",
    "pagemode_msg",
    "onecare",
    "p2p_turn",
    "p2p_bootstrap_via_uun",
    "aliased",
];

/// The names of the capability flags set in a classic client ID (the MSNC nibble excluded).
pub fn client_caps(client_id: u32) -> Vec<&'static str> {
    CAPS.iter()
        .enumerate()
        .filter(|(bit, _)| client_id & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// The MSNC level in the top nibble of a classic client ID (`0x10000024` → 1).
pub fn msnc_level(client_id: u32) -> u8 {
    (client_id >> 28) as u8
}

/// Extended capability flags (the part after `:` from MSNP16), by bit.
const EXT_CAPS: [(u32, &str); 27] = [
    (0x1, "sms_only"),
    (0x2, "voice_over_msnp"),
    (0x4, "uucp_sip"),
    (0x8, "app_messages"),
    (0x10, "rtc_video"),
    (0x20, "p2pv2"),
    (0x40, "authenticated_webim"),
    (0x80, "one_to_one_via_group"),
    (0x100, "offline_im"),
    (0x200, "video_sharing"),
    (0x400, "nudge"),
    (0x800, "circle_voice_im"),
    (0x1000, "sharing"),
    (0x8000, "p2p_mixer_relay"),
    (0x20000, "conversation_window_ft"),
    (0x40000, "video_16x9"),
    (0x80000, "p2p_envelope"),
    (0x40_0000, "yahoo_im_disabled"),
    (0x80_0000, "sip_tunnel_v2"),
    (0x100_0000, "voice_clip_wma"),
    (0x200_0000, "voice_clip_circles"),
    (0x400_0000, "social_news"),
    (0x800_0000, "custom_smileys"),
    (0x1000_0000, "utf8_personal_messages"),
    (0x2000_0000, "ft_via_turn"),
    (0x4000_0000, "p4_activity"),
    (0x8000_0000, "multi_user_chat"),
];

/// The names of the extended capability flags set; bits nobody named come out as hex.
pub fn client_ext_caps(ext: u32) -> Vec<String> {
    let mut names = Vec::new();
    for bit in 0..32 {
        let mask = 1u32 << bit;
        if ext & mask == 0 {
            continue;
        }
        match EXT_CAPS.iter().find(|(m, _)| *m == mask) {
            Some((_, name)) => names.push((*name).to_owned()),
            None => names.push(format!("{mask:#x}")),
        }
    }
    names
}

/// The dialect a client usually speaks, judged from the MSNC level in its client ID
/// (reference §1.2). MSNC0 maps to MSNP8, the first dialect that sends a client ID at all.
/// Levels no client used give `None`.
pub fn infer_dialect_from_client_id(client_id: u32) -> Option<Dialect> {
    let d = match msnc_level(client_id) {
        0 => 8,
        1 => 9,
        2 | 3 => 10,
        4 => 11,
        5 => 12,
        6 => 13,
        7 => 14,
        8 => 15,
        9 => 16,
        10 => 18,
        11 => 19,
        12 => 21,
        _ => return None,
    };
    Some(Dialect(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(status_name("NLN"), Some("Online"));
        assert_eq!(status_name("BRB"), Some("Be Right Back"));
        assert_eq!(status_name("HDN"), Some("Appear Offline"));
        assert_eq!(status_name("PHN"), Some("On the Phone"));
        assert_eq!(status_name("LUN"), Some("Out to Lunch"));
        assert_eq!(status_name("bsy"), None);
        assert_eq!(status_name("XYZ"), None);
    }

    #[test]
    fn networks() {
        assert_eq!(network_name(1), Some("Windows Live"));
        assert_eq!(network_name(32), Some("Yahoo!"));
        assert_eq!(network_name(9), Some("Circle"));
        assert_eq!(network_name(3), None);
    }

    #[test]
    fn list_bits() {
        assert_eq!(list_names(11), ["FL", "AL", "RL"]);
        assert_eq!(list_names(0), Vec::<String>::new());
        assert_eq!(list_names(16 | 4), ["BL", "PL"]);
        assert_eq!(list_names(33), ["FL", "0x20"]);
        assert_eq!(list_meaning("RL"), Some("reverse list"));
    }

    #[test]
    fn classic_client_id() {
        // MSN 6.0: MSNC1 + PACKET + INK_GIF.
        assert_eq!(msnc_level(268_435_492), 1);
        assert_eq!(client_caps(268_435_492), ["ink_gif", "packet"]);
        // libpurple 2.10: MSNC9 + PACKET + INK_GIF + VOICEIM, above 2^31.
        assert_eq!(msnc_level(0x9004_0024), 9);
        assert_eq!(client_caps(0x9004_0024), ["ink_gif", "packet", "voice_im"]);
        assert_eq!(client_caps(0x0800_0001), ["via_mobile", "aliased"]);
    }

    #[test]
    fn extended_caps() {
        assert_eq!(client_ext_caps(48), ["rtc_video", "p2pv2"]);
        assert_eq!(client_ext_caps(0x2000), ["0x2000"]);
        assert_eq!(client_ext_caps(0x8000_0000), ["multi_user_chat"]);
    }

    #[test]
    fn dialect_from_client_id() {
        assert_eq!(infer_dialect_from_client_id(268_435_492), Some(Dialect(9)));
        assert_eq!(
            infer_dialect_from_client_id(2_789_003_324),
            Some(Dialect(18))
        );
        assert_eq!(infer_dialect_from_client_id(0x3000_0000), Some(Dialect(10)));
        assert_eq!(infer_dialect_from_client_id(0x7000_0000), Some(Dialect(14)));
        assert_eq!(infer_dialect_from_client_id(0), Some(Dialect(8)));
        assert_eq!(infer_dialect_from_client_id(0xF000_0000), None);
    }
}
