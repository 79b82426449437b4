//! Client-to-client traffic inside switchboard messages (MSNC): the P2P transport and MSNSLP.
pub mod p2p;
pub mod slp;
