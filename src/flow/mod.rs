//! Connection tracking.
