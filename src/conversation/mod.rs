//! The conversation layer: who talked to whom. From the decoder's events it builds login
//! sessions, conversations (one switchboard session, its captured connections merged, each
//! message once), contact lists and presence, for the exports (`msnsniff transcripts`,
//! `msnsniff stats`). Pure: events in, [`model`] values out, in capture order.

pub mod correlator;
pub mod model;

pub use correlator::{Correlator, Dropped, Finished};
