//! Space–time clustering of reports into incidents (grid hashing + union-find).
