//! The MSNP decoder: framing each direction into commands and payloads, the command grammar,
//! and what commands mean.
