//! The meaning layer: what each MSNP command is for, its parameters by name in every dialect,
//! and a plain-English note for lines whose meaning is not obvious.
//!
//! This module knows nothing about framing. Callers pass the pieces of a parsed line (verb,
//! direction, negotiated dialect if known, parameters without the TrID) and get back JSON
//! fields and an optional note. Every function is total: arbitrary parameters never panic.
//!
//! * [`named_fields`]: the parameters by name (conventions in the `fields` submodule docs).
//! * [`note`]: one short sentence, or `None`.
//! * [`known_verb`], [`verb_info`]: the command table (servers, dialects, one-line summary).
//! * [`status_name`], [`network_name`], [`list_names`], [`client_caps`], [`client_ext_caps`],
//!   [`msnc_level`], [`infer_dialect_from_client_id`]: the small code books of reference §4.

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
