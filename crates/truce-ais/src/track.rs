//! Filled in by the track work.
