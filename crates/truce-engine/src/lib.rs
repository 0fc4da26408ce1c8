//! Truce's judgement, as a pure function of the log's contents: reports clustered into incidents
//! (space–time corroboration), graded by source independence and monitors' assessments,
//! adjudicated per agreement × reading with reasons, and counted into compliance tables.
//! No IO, no clock: everything is passed in, so replaying the log gives identical output.

pub mod baseline;
pub mod cluster;
