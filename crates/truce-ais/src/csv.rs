//! Filled in by the AIS reader work.
