//! The meaning layer: what each MSNP command is for, its parameters by name in every dialect,
//! and a plain-English note for lines whose meaning is not obvious.
//!
//! This module knows nothing about framing. Callers pass the pieces of a parsed line (verb,
//! direction, negotiated dialect if known, parameters without the TrID) and get back JSON
//! fields and an optional note. Every function is total: arbitrary parameters never panic.
//!
//! * [`named_fields`]: the parameters by name.
//! * [`note`]: one short sentence, or `None`.
//! * [`known_verb`], [`verb_info`]: the command table (servers, dialects, one-line summary).
//! * [`status_name`], [`network_name`], [`list_names`], [`client_caps`], [`client_ext_caps`],
//!   [`msnc_level`], [`infer_dialect_from_client_id`]: the small code books of reference §4.
//!
//! # Field names
//!
//! Names are snake_case and stable: the JSON output carries them, so renaming one is a
//! breaking change.
//!
//! * URL-encoded text (`friendly_name`, `group_name`, `value`, `msnobject`, `icon_url`,
//!   `sender_friendly_name`, FND's name fields) holds the decoded text; `<name>_raw` holds the
//!   text as sent, only when the two differ. Text that does not decode stays raw under the name.
//! * Numbers (`length`, `list_version`, `session_id`, `index`, `total`, `group_id`, counts,
//!   `client_id`, ...) are JSON numbers when they parse as unsigned integers, strings otherwise
//!   (MSNP10+ group IDs are GUID strings).
//! * A handle is split: `handle` (or `recipient`), plus `network_id` / `network` from an
//!   `n:handle` prefix and `machine_guid` from a `;{guid}` suffix (`recipient_network_id`, ...
//!   for the recipient). A separate network-ID parameter fills the same two fields.
//! * A client ID gives `client_id`, `client_caps` (flag names), `msnc` (level), and from MSNP16
//!   `client_id_ext` and `client_ext_caps`.
//! * `status` / `status_name`; `list` (a list name) or `list_bits` / `lists` (names);
//!   `property` / `property_name` / `value`; `result` for `OK` / `RINGING` replies; `code` /
//!   `meaning` / `length` for error replies.
//! * Login: `auth_method`, `stage`, then `handle`, `salt`, `response`, `ticket`,
//!   `passport_challenge`, `policy`, `nonce`, `machine_guid`, `circle_ticket`, or for `OK`
//!   `handle`, `friendly_name`, `verified`, `restricted` as the dialect has them.
//! * Switchboard hand-over (XFR SB, RNG): `address`, `auth` (`CKI`), `cookie`, `hostname`,
//!   `direct_connect`; XFR also `server_type` and, for NS, `current_address`.
//! * A missing parameter leaves its field out.

mod fields;
mod notes;
mod presence;
mod table;
#[cfg(test)]
mod tests;

pub use fields::named_fields;
pub use notes::note;
pub use presence::{
    client_caps, client_ext_caps, infer_dialect_from_client_id, list_meaning, list_names,
    msnc_level, network_name, status_name,
};
pub use table::{Servers, VERBS, VerbInfo, verb_info};

use super::Verb;
use super::errors::error_meaning;

/// Whether the verb is in the catalogue at all (any dialect, any server). Error numbers count
/// when their meaning is documented.
pub fn known_verb(verb: Verb) -> bool {
    match verb.error_code() {
        Some(code) => error_meaning(code).is_some(),
        None => verb_info(verb).is_some(),
    }
}
