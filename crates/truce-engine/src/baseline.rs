//! Persistent hot spots (gas flares) learned from detections before a cut-off.
