//! Everything that writes: the formats a user reads (tables, dialogues, JSON) and the files
//! `--dump` writes. This is one of the two layers that do I/O (the other is
//! [`crate::capture`]). Formatters take pushed events and know nothing about packets or the CLI.

pub mod dialogue;
pub mod dump;
pub mod extract;
pub mod flows;
pub mod interfaces;
pub mod json;
pub mod progress;
pub mod select;
pub mod stats;
pub mod text;
pub mod transcript;
