//! Raw NMEA 0183 AIS sentences (`!AIVDM`, `!AIVDO` and any talker: `!ABVDM`, `!BSVDM`, …) to
//! [`Item`]s, one per message.
//!
//! What this module does itself, and what it leaves to the `nmea-parser` crate:
//!
//! - **Here**: line reading (bounded: a line over [`MAX_LINE_BYTES`] is refused and the reader
//!   resynchronises at the next line end), NMEA 4.0 tag blocks (`\g:…,c:…*hh\`, checksum
//!   checked), the sentence checksum (checked before anything is decoded: a mismatch is refused
//!   with both values), the sentence fields, multi-sentence reassembly, the time of each record,
//!   and the checks on the decoded values (position ranges, "not available" positions).
//! - **`nmea-parser`**: the 6-bit payload decoding and the message fields. It is handed one
//!   reassembled single-sentence message at a time, in a fresh parser, so none of its own
//!   multi-sentence state (keyed without the talker or tag-block group, and at most two parts)
//!   is used. The one thing read from the payload here is the message type (the first armoured
//!   character), to route the message.
//!
//! Invariants:
//!
//! - Every input line is accounted for: blank lines and `#` comment lines are skipped without a
//!   record; every other line ends up in exactly one [`Record`] (a message's sentences together,
//!   a refused line or a refused incomplete group alone).
//! - A record's `raw` is the exact bytes of its line(s), line endings included, in input order
//!   (the sentences of a multi-sentence message may have other lines between them in the file;
//!   `raw` is then their concatenation). A line over the bound keeps only its first
//!   [`MAX_LINE_BYTES`] bytes in `raw`.
//! - A bad record is an [`Item::Refused`] with its reason; `Err` is only an I/O failure.
//! - A multi-sentence message has at most [`MAX_PARTS`] parts; at most [`MAX_PENDING`]
//!   incomplete messages are held, the oldest evicted (refused as truncated) beyond that; at the
//!   end of input every incomplete message is refused as truncated.
//! - No clock is read. The time of a record is, in this order: the tag block's `c:` (unix
//!   seconds, or milliseconds if the value is above 10^10); the receiver time at the end of a
//!   USCG/NAIS-style suffix after the checksum (`…*hh,b003669794,1272412827`: the last field, unix
//!   seconds, a fraction allowed); [`Options::time_base`]. For a multi-sentence message the first
//!   sentence that carries one gives it. A position without any of these is refused.
//! - The message's own UTC-second field (0–59) is not used: a tag-block or receiver time is the
//!   full time of reception and is used as it is (AIS reports are received within a second or
//!   two of being sent), and with only [`Options::time_base`] the minute the second belongs to is
//!   unknown, so every fix gets the time base itself (all of a file's fixes then share one time:
//!   pass a time base only for a file that has no better source, and expect no speeds from it).
//!
//! Message types: 1, 2, 3 (class A), 18, 19 (class B) and 27 (long range, positions to 1/10
//! minute) are [`Item::Fix`]; 5 and 24 (part A: the name; part B: the ship type and call sign,
//! each part its own record) are [`Item::Static`]; every other type is
//! [`Item::Skipped`]`(`[`Skip::OtherType`]`)`. Longitude 181 or latitude 91 is
//! [`Skip::PositionNotAvailable`]; any other position outside -180..=180 / -90..=90 is refused.
//!
//! Limits of `nmea-parser` 0.11 and what is done about them:
//!
//! - Type 19 is not decoded by it: its first 139 bits have the layout of type 18, so the payload
//!   is handed over as type 18 (first character `C` → `B`) for the position. Type 19's static
//!   fields (name, ship type, after bit 143) are not read: no [`Item::Static`] comes from a type
//!   19 (its vessel's name arrives in its type 24 reports).
//! - Type 27: it reads speed and course from the wrong bits and does not recognise 181/91 in the
//!   1/10-minute units, so a type 27 fix has no speed or course and its "not available" position
//!   is recognised here.
//! - Type 24: it merges parts A and B per MMSI across the whole input; each part is decoded on
//!   its own here (in a fresh parser, where the part merged with itself is the part).
//! - Type 5 with an impossible ETA (month 13, …) is refused by it; that refusal is kept
//!   ([`Item::Refused`] with its message).
//! - Its payload decoding assumes valid armour characters (`0`–`W`, `` ` ``–`w`): they are
//!   checked here first, and a message shorter than its type's fields is refused here (the
//!   decoder would read missing bits as zeros).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use nmea_parser::{NmeaParser, ParsedMessage};

use crate::fix::{Class, Fix, Item, Record, Skip, Static};

/// The longest line accepted, in bytes (without its line ending).
pub const MAX_LINE_BYTES: usize = 4096;
/// The most sentences a message may have (the sentence count is one digit).
pub const MAX_PARTS: u8 = 9;
/// The most incomplete multi-sentence messages held at once.
pub const MAX_PENDING: usize = 1024;

/// What the NMEA reader needs besides the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// A stated time for the whole input, unix milliseconds UTC: used for a record that has
    /// neither a tag-block time nor a receiver time (see the module documentation).
    pub time_base: Option<i64>,
}

/// What a reader handed on, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records that were an [`Item::Fix`].
    pub fixes: u64,
    /// Records that were an [`Item::Static`].
    pub statics: u64,
    /// Records skipped as [`Skip::PositionNotAvailable`].
    pub skipped_not_available: u64,
    /// Records skipped as [`Skip::OtherType`].
    pub skipped_other_type: u64,
    /// Records refused.
    pub refused: u64,
}

impl Summary {
    /// Counts one item.
    pub fn count(&mut self, item: &Item) {
        match item {
            Item::Fix(_) => self.fixes += 1,
            Item::Static(_) => self.statics += 1,
            Item::Skipped(Skip::PositionNotAvailable) => self.skipped_not_available += 1,
            Item::Skipped(Skip::OtherType) => self.skipped_other_type += 1,
            Item::Refused(_) => self.refused += 1,
        }
    }

    /// All records counted.
    pub fn records(&self) -> u64 {
        self.fixes
            + self.statics
            + self.skipped_not_available
            + self.skipped_other_type
            + self.refused
    }
}

/// Why the NMEA reader stopped. A bad sentence is not an error (it is an [`Item::Refused`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Reading the input failed.
    #[error("reading the NMEA input failed after line {line}: {source}; check the file or stream")]
    Io {
        /// The last line read completely.
        line: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Reads NMEA 0183 AIS sentences from `input` and hands each record to `each`, in input order
/// (a multi-sentence message when its last sentence is read; incomplete messages left at the
/// end of input, refused, last).
pub fn read<R: Read>(
    input: R,
    opts: &Options,
    mut each: impl FnMut(Record<'_>),
) -> Result<Summary, ReadError> {
    let mut reader = Reader::new(opts.clone());
    let mut lines = Lines::new(input, MAX_LINE_BYTES);
    let mut summary = Summary::default();
    let mut emit = |summary: &mut Summary, record: Record<'_>| {
        summary.count(&record.item);
        each(record);
    };
    loop {
        let got = lines.next_line().map_err(|source| ReadError::Io {
            line: lines.line,
            source,
        })?;
        let Some(too_long) = got else { break };
        let line_no = lines.line;
        reader.line(line_no, &lines.buf, too_long, &mut |r| {
            emit(&mut summary, r)
        });
    }
    reader.finish(&mut |r| emit(&mut summary, r));
    Ok(summary)
}

/// Decodes one line that holds a whole message (a single-sentence message, with its tag block
/// or suffix if any), as [`read`] would: for tests and tools. A multi-sentence part, a blank or
/// comment line gives a refusal or `None`.
pub fn decode_line(line: &str, opts: &Options) -> Option<Item> {
    let mut out = None;
    let mut reader = Reader::new(opts.clone());
    reader.line(1, line.as_bytes(), false, &mut |r| out = Some(r.item));
    reader.finish(&mut |r| {
        if out.is_none() {
            out = Some(r.item)
        }
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Lines, bounded.

/// Reads lines of at most `max` bytes (plus line ending) into one buffer, discarding the rest
/// of a longer line.
struct Lines<R> {
    inner: BufReader<R>,
    max: usize,
    buf: Vec<u8>,
    line: u64,
}

impl<R: Read> Lines<R> {
    fn new(input: R, max: usize) -> Self {
        Lines {
            inner: BufReader::with_capacity(64 * 1024, input),
            max,
            buf: Vec::with_capacity(256),
            line: 0,
        }
    }

    /// The next line into `buf` (with its line ending); `Some(true)` when it was longer than
    /// the bound (then `buf` holds its first `max` bytes), `None` at end of input.
    fn next_line(&mut self) -> std::io::Result<Option<bool>> {
        self.buf.clear();
        // Content plus "\r\n" may be kept; past that the line is too long.
        let keep = self.max + 2;
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            let room = keep.saturating_sub(self.buf.len());
            if take > room {
                too_long = true;
            }
            self.buf.extend_from_slice(&avail[..take.min(room)]);
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        if too_long || content(&self.buf).len() > self.max {
            self.buf.truncate(self.max);
            return Ok(Some(true));
        }
        Ok(Some(false))
    }
}

/// A line without its line ending.
fn content(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

// ---------------------------------------------------------------------------------------------
// Sentences.

/// Where a multi-sentence message's parts are matched: talker and sentence (`AIVDM`), sequential
/// message id, channel, part count, and the tag block's group id and source when present.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    address: [u8; 5],
    seq: Option<u8>,
    channel: Vec<u8>,
    total: u8,
    group: Option<(u32, Vec<u8>)>,
}

/// A multi-sentence message waiting for its other parts.
struct Pending {
    key: Key,
    first_line: u64,
    got: u8,
    payload: String,
    fill: u8,
    raw: Vec<u8>,
    time: Option<i64>,
}

/// The reassembly state and the decoding.
struct Reader {
    opts: Options,
    pending: VecDeque<Pending>,
    scratch: Vec<u8>,
}

/// A tag block's fields that matter here.
#[derive(Default)]
struct Tag<'a> {
    time_ms: Option<i64>,
    /// (part, total, group id).
    group: Option<(u8, u8, u32)>,
    source: Option<&'a [u8]>,
}

impl Reader {
    fn new(opts: Options) -> Self {
        Reader {
            opts,
            pending: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// One input line (with its line ending).
    fn line(&mut self, no: u64, raw: &[u8], too_long: bool, emit: &mut dyn FnMut(Record<'_>)) {
        let refuse = |emit: &mut dyn FnMut(Record<'_>), why: String| {
            emit(Record {
                line: no,
                raw,
                item: Item::Refused(why),
            })
        };
        if too_long {
            return refuse(
                emit,
                format!(
                    "line longer than {MAX_LINE_BYTES} bytes (no NMEA sentence is): \
                     left out, reading resumes at the next line"
                ),
            );
        }
        let text = content(raw);
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() || trimmed[0] == b'#' {
            return;
        }
        let (tag, sentence) = match split_tag_block(trimmed) {
            Ok(t) => t,
            Err(why) => return refuse(emit, why),
        };
        let s = match parse_sentence(sentence) {
            Ok(Parsed::Vdm(s)) => s,
            Ok(Parsed::Other) => {
                return emit(Record {
                    line: no,
                    raw,
                    item: Item::Skipped(Skip::OtherType),
                })
            }
            Err(why) => return refuse(emit, why),
        };
        let time = tag.time_ms.or(s.receiver_ms);
        if s.total == 1 {
            if let Some((_, total, _)) = tag.group {
                if total != 1 {
                    return refuse(
                        emit,
                        format!(
                            "tag block group says {total} sentences, the sentence says 1: \
                             left out (a corrupted or mis-tagged line)"
                        ),
                    );
                }
            }
            let item = self.decode(s.payload, s.fill, time);
            return emit(Record {
                line: no,
                raw,
                item,
            });
        }
        // A part of a multi-sentence message.
        let group = match tag.group {
            Some((part, total, id)) => {
                if part != s.part || total != s.total {
                    return refuse(
                        emit,
                        format!(
                            "tag block group says part {part} of {total}, the sentence says \
                             part {} of {}: left out (a corrupted or mis-tagged line)",
                            s.part, s.total
                        ),
                    );
                }
                Some((id, tag.source.unwrap_or_default().to_vec()))
            }
            None => None,
        };
        let key = Key {
            address: s.address,
            seq: s.seq,
            channel: s.channel.to_vec(),
            total: s.total,
            group,
        };
        let at = self.pending.iter().position(|p| p.key == key);
        if s.part == 1 {
            if let Some(i) = at {
                if let Some(old) = self.pending.remove(i) {
                    emit_truncated(
                        &old,
                        "its next part never came (a new part 1 came instead)",
                        emit,
                    );
                }
            }
            if self.pending.len() >= MAX_PENDING {
                if let Some(old) = self.pending.pop_front() {
                    emit_truncated(
                        &old,
                        &format!("more than {MAX_PENDING} incomplete messages were waiting (this was the oldest)"),
                        emit,
                    );
                }
            }
            self.pending.push_back(Pending {
                key,
                first_line: no,
                got: 1,
                payload: s.payload.to_string(),
                fill: s.fill,
                raw: raw.to_vec(),
                time,
            });
            return;
        }
        let Some(i) = at else {
            return refuse(
                emit,
                format!(
                    "part {} of {} of a multi-sentence message whose earlier parts were not \
                     read: left out (the capture started mid-message or lost a line)",
                    s.part, s.total
                ),
            );
        };
        if self.pending[i].got + 1 != s.part {
            if let Some(old) = self.pending.remove(i) {
                emit_truncated(
                    &old,
                    &format!("part {} came after part {}", s.part, old.got),
                    emit,
                );
            }
            return refuse(
                emit,
                format!(
                    "part {} of {} out of order: left out with the parts before it",
                    s.part, s.total
                ),
            );
        }
        let p = &mut self.pending[i];
        p.got = s.part;
        p.payload.push_str(s.payload);
        p.fill = s.fill;
        p.raw.extend_from_slice(raw);
        p.time = p.time.or(time);
        if p.got < p.key.total {
            return;
        }
        let Some(done) = self.pending.remove(i) else {
            return;
        };
        let item = self.decode(&done.payload, done.fill, done.time);
        emit(Record {
            line: done.first_line,
            raw: &done.raw,
            item,
        });
    }

    /// The end of input: every incomplete message is refused.
    fn finish(&mut self, emit: &mut dyn FnMut(Record<'_>)) {
        while let Some(old) = self.pending.pop_front() {
            emit_truncated(&old, "the input ended first", emit);
        }
    }

    /// Decodes a whole message's payload.
    fn decode(&mut self, payload: &str, fill: u8, time: Option<i64>) -> Item {
        let time = time.or(self.opts.time_base);
        match decode_payload(payload, fill, time, &mut self.scratch) {
            Ok(item) => item,
            Err(why) => Item::Refused(why),
        }
    }
}

fn emit_truncated(p: &Pending, why: &str, emit: &mut dyn FnMut(Record<'_>)) {
    emit(Record {
        line: p.first_line,
        raw: &p.raw,
        item: Item::Refused(format!(
            "truncated multi-sentence message: {} of {} parts read, {why}: left out",
            p.got, p.key.total
        )),
    })
}

/// Splits an optional leading NMEA 4.0 tag block off, checking its checksum.
fn split_tag_block(line: &[u8]) -> Result<(Tag<'_>, &[u8]), String> {
    let mut tag = Tag::default();
    if line.first() != Some(&b'\\') {
        return Ok((tag, line));
    }
    let Some(end) = line[1..].iter().position(|&b| b == b'\\').map(|i| i + 1) else {
        return Err("tag block without its closing '\\': left out".to_string());
    };
    let block = &line[1..end];
    let rest = &line[end + 1..];
    let Some(star) = block.iter().rposition(|&b| b == b'*') else {
        return Err("tag block without a checksum ('*hh'): left out".to_string());
    };
    let fields = &block[..star];
    let written = parse_hex2(&block[star + 1..])
        .ok_or_else(|| "tag block checksum is not two hex digits: left out".to_string())?;
    let computed = xor(fields);
    if written != computed {
        return Err(format!(
            "tag block checksum mismatch: expected {written:02X}, computed {computed:02X} \
             (a corrupted line: left out)"
        ));
    }
    for field in fields.split(|&b| b == b',') {
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            continue;
        };
        let (k, v) = (&field[..colon], &field[colon + 1..]);
        match k {
            b"c" => {
                tag.time_ms = Some(unix_to_ms(v).ok_or_else(|| {
                    format!(
                        "tag block c:{} is not a unix time: left out",
                        String::from_utf8_lossy(v)
                    )
                })?)
            }
            b"g" => {
                let mut it = v.split(|&b| b == b'-');
                let part = it.next().and_then(parse_u32);
                let total = it.next().and_then(parse_u32);
                let id = it.next().and_then(parse_u32);
                match (part, total, id, it.next()) {
                    (Some(p), Some(t), Some(id), None)
                        if (1..=u32::from(MAX_PARTS)).contains(&t) && (1..=t).contains(&p) =>
                    {
                        tag.group = Some((p as u8, t as u8, id));
                    }
                    _ => {
                        return Err(format!(
                            "tag block g:{} is not part-total-id with 1 <= part <= total <= {MAX_PARTS}: left out",
                            String::from_utf8_lossy(v)
                        ))
                    }
                }
            }
            b"s" => tag.source = Some(v),
            _ => {}
        }
    }
    Ok((tag, rest))
}

/// A checked VDM/VDO sentence's fields.
struct Vdm<'a> {
    address: [u8; 5],
    total: u8,
    part: u8,
    seq: Option<u8>,
    channel: &'a [u8],
    payload: &'a str,
    fill: u8,
    receiver_ms: Option<i64>,
}

enum Parsed<'a> {
    Vdm(Vdm<'a>),
    /// A well-formed sentence of another kind (`$GPGGA`, `!AIALR`, …).
    Other,
}

/// Checks a sentence's checksum and fields.
fn parse_sentence(s: &[u8]) -> Result<Parsed<'_>, String> {
    if !matches!(s.first(), Some(b'!' | b'$')) {
        return Err(
            "not an NMEA sentence (no '!' or '$' at the start, after any tag block): left out"
                .to_string(),
        );
    }
    let Some(star) = s.iter().position(|&b| b == b'*') else {
        return Err("sentence without a checksum ('*hh'): left out".to_string());
    };
    let body = &s[1..star];
    let after = &s[star + 1..];
    let written = after
        .get(..2)
        .and_then(parse_hex2)
        .ok_or_else(|| "sentence checksum is not two hex digits after '*': left out".to_string())?;
    let computed = xor(body);
    if written != computed {
        return Err(format!(
            "checksum mismatch: expected {written:02X}, computed {computed:02X} \
             (a corrupted sentence: left out)"
        ));
    }
    let suffix = &after[2..];
    let receiver_ms = if suffix.is_empty() {
        None
    } else if suffix[0] == b',' {
        suffix.rsplit(|&b| b == b',').next().and_then(unix_to_ms)
    } else {
        return Err(
            "unexpected bytes after the checksum (a suffix starts with ','): left out".to_string(),
        );
    };
    let fields: Vec<&[u8]> = body.split(|&b| b == b',').collect();
    let address = fields[0];
    if s[0] != b'!'
        || address.len() != 5
        || !(address.ends_with(b"VDM") || address.ends_with(b"VDO"))
    {
        return Ok(Parsed::Other);
    }
    if fields.len() != 7 {
        return Err(format!(
            "VDM/VDO sentence with {} fields, 7 expected: left out",
            fields.len()
        ));
    }
    let digit = |f: &[u8]| match f {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        _ => None,
    };
    let total = digit(fields[1])
        .filter(|t| (1..=MAX_PARTS).contains(t))
        .ok_or_else(|| {
            format!(
                "sentence count '{}' is not 1..{MAX_PARTS}: left out",
                String::from_utf8_lossy(fields[1])
            )
        })?;
    let part = digit(fields[2])
        .filter(|p| (1..=total).contains(p))
        .ok_or_else(|| {
            format!(
                "sentence number '{}' is not 1..{total}: left out",
                String::from_utf8_lossy(fields[2])
            )
        })?;
    let seq = if fields[3].is_empty() {
        None
    } else {
        Some(digit(fields[3]).ok_or_else(|| {
            format!(
                "sequential message id '{}' is not a digit: left out",
                String::from_utf8_lossy(fields[3])
            )
        })?)
    };
    let payload = fields[5];
    if payload.is_empty() {
        return Err("empty AIS payload: left out".to_string());
    }
    if let Some(bad) = payload
        .iter()
        .find(|&&c| !matches!(c, b'0'..=b'W' | b'`'..=b'w'))
    {
        return Err(format!(
            "payload character '{}' is not 6-bit armour (0-W, `-w): left out",
            char::from(*bad).escape_default()
        ));
    }
    let fill = digit(fields[6]).filter(|f| *f <= 5).ok_or_else(|| {
        format!(
            "fill bits '{}' not 0..5: left out",
            String::from_utf8_lossy(fields[6])
        )
    })?;
    let mut addr = [0u8; 5];
    addr.copy_from_slice(address);
    Ok(Parsed::Vdm(Vdm {
        address: addr,
        total,
        part,
        seq,
        channel: fields[4],
        // Checked above: ASCII armour characters only.
        payload: std::str::from_utf8(payload).unwrap_or_default(),
        fill,
        receiver_ms,
    }))
}

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

fn parse_hex2(h: &[u8]) -> Option<u8> {
    let [a, b] = h else { return None };
    let v = |c: u8| (c as char).to_digit(16);
    Some((v(*a)? * 16 + v(*b)?) as u8)
}

fn parse_u32(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 9 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
}

/// Unix seconds (a fraction allowed) or, above 10^10, unix milliseconds, to milliseconds.
fn unix_to_ms(v: &[u8]) -> Option<i64> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &[][..]),
    };
    if int.is_empty() || int.len() > 14 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = int.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0'));
    if n > 10_000_000_000 {
        return frac.is_empty().then_some(n);
    }
    let mut ms = 0i64;
    for i in 0..3 {
        ms = ms * 10 + frac.get(i).map_or(0, |&c| i64::from(c - b'0'));
    }
    Some(n * 1000 + ms)
}

// ---------------------------------------------------------------------------------------------
// Messages.

/// The fewest payload bits each decoded type needs (the standard lengths; type 5 allows the
/// 420 bits some transmitters send, type 24 part A the 160 of the older standard).
fn min_bits(msg_type: u8) -> usize {
    match msg_type {
        1..=3 | 18 => 168,
        19 => 312,
        27 => 96,
        5 => 420,
        24 => 160,
        _ => 0,
    }
}

/// The message type: the 6-bit value of the first armoured character (the one field read here).
fn message_type(payload: &str) -> u8 {
    let c = payload.as_bytes().first().copied().unwrap_or(b'0');
    let v = c.wrapping_sub(b'0');
    if v > 40 {
        v - 8
    } else {
        v
    }
}

/// Decodes a whole message's payload with `nmea-parser` and checks what it gives.
fn decode_payload(
    payload: &str,
    fill: u8,
    time: Option<i64>,
    scratch: &mut Vec<u8>,
) -> Result<Item, String> {
    let msg_type = message_type(payload);
    if !matches!(msg_type, 1..=3 | 5 | 18 | 19 | 24 | 27) {
        return Ok(Item::Skipped(Skip::OtherType));
    }
    let bits = (payload.len() * 6).saturating_sub(usize::from(fill));
    let need = min_bits(msg_type);
    if bits < need {
        return Err(format!(
            "type {msg_type} message of {bits} bits, at least {need} needed: left out \
             (a truncated sentence)"
        ));
    }
    // One reassembled message as a single sentence, without checksum (already checked).
    scratch.clear();
    scratch.extend_from_slice(b"!AIVDM,1,1,,A,");
    scratch.extend_from_slice(payload.as_bytes());
    if msg_type == 19 {
        // Type 19's first 139 bits are laid out as type 18's: decode those as type 18.
        scratch[14] = b'B';
    }
    scratch.extend_from_slice(b",0");
    let sentence = std::str::from_utf8(scratch).map_err(|_| "payload is not ASCII".to_string())?;
    let mut parser = NmeaParser::new();
    let mut parsed = parser.parse_sentence(sentence);
    if msg_type == 24 && parsed == Ok(ParsedMessage::Incomplete) {
        // nmea-parser waits for the other part of a type 24: the same part again completes it
        // with itself, giving this part's own fields.
        parsed = parser.parse_sentence(sentence);
    }
    let parsed =
        parsed.map_err(|e| format!("type {msg_type} message not decoded: {e}: left out"))?;
    match parsed {
        ParsedMessage::VesselDynamicData(d) => {
            let (Some(lon), Some(lat)) = (d.longitude, d.latitude) else {
                return Ok(Item::Skipped(Skip::PositionNotAvailable));
            };
            if lon == 181.0 || lat == 91.0 {
                return Ok(Item::Skipped(Skip::PositionNotAvailable));
            }
            if !(-180.0..=180.0).contains(&lon) {
                return Err(format!(
                    "longitude {lon} outside -180..180 (181 would mean not available): left out"
                ));
            }
            if !(-90.0..=90.0).contains(&lat) {
                return Err(format!(
                    "latitude {lat} outside -90..90 (91 would mean not available): left out"
                ));
            }
            let Some(t_ms) = time else {
                return Err(
                    "no time source: no tag block c:, no receiver time after the \
                            checksum, no time base; pass --time-base or use tag blocks"
                        .to_string(),
                );
            };
            let tenths = |v: f64| (v * 10.0).round() / 10.0;
            let long_range = msg_type == 27;
            Ok(Item::Fix(Fix {
                mmsi: d.mmsi,
                t_ms,
                lon,
                lat,
                sog_knots: if long_range {
                    None
                } else {
                    d.sog_knots.map(tenths)
                },
                cog_deg: if long_range {
                    None
                } else {
                    d.cog.map(tenths).filter(|c| *c < 360.0)
                },
                heading_deg: d
                    .heading_true
                    .filter(|h| (0.0..360.0).contains(h))
                    .map(|h| h as u16),
                nav_status: matches!(msg_type, 1..=3 | 27).then(|| d.nav_status.to_value()),
                class: Some(if matches!(msg_type, 18 | 19) {
                    Class::B
                } else {
                    Class::A
                }),
            }))
        }
        ParsedMessage::VesselStaticData(v) => {
            let text = |s: Option<String>| {
                s.map(|s| s.trim_matches(|c: char| c == '@' || c == ' ').to_string())
                    .filter(|s| !s.is_empty())
            };
            let ship = v.ship_type.to_value();
            // nmea-parser splits the type code into its family (ShipType) and, for the families
            // 1x, 2x, 4x, 6x..9x, the last digit (CargoType 10..19): put the code back together.
            let code = match ship {
                10 | 20 | 40 | 60 | 70 | 80 | 90 => {
                    ship + v.cargo_type.to_value().saturating_sub(10)
                }
                s => s,
            };
            let is_part_b = msg_type == 24 && v.equipment_vendor_id.is_some();
            Ok(Item::Static(Static {
                mmsi: v.mmsi,
                t_ms: time,
                imo: v.imo_number.filter(|i| *i != 0),
                name: text(v.name),
                callsign: text(v.call_sign),
                ship_type: (msg_type == 5 || is_part_b)
                    .then_some(code)
                    .filter(|c| *c != 0),
            }))
        }
        other => Err(format!(
            "type {msg_type} decoded as an unexpected {other:?}: left out (report this)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(base: Option<i64>) -> Options {
        Options { time_base: base }
    }

    #[test]
    fn checksum_and_hex() {
        assert_eq!(parse_hex2(b"4C"), Some(0x4C));
        assert_eq!(parse_hex2(b"4c"), Some(0x4C));
        assert_eq!(parse_hex2(b"4"), None);
        assert_eq!(parse_hex2(b"G0"), None);
        assert_eq!(xor(b"AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0"), 0x4C);
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_to_ms(b"1418169601"), Some(1_418_169_601_000));
        assert_eq!(unix_to_ms(b"1418169601.5"), Some(1_418_169_601_500));
        assert_eq!(unix_to_ms(b"1418169601123"), Some(1_418_169_601_123));
        assert_eq!(unix_to_ms(b"T56.13"), None);
        assert_eq!(unix_to_ms(b""), None);
        assert_eq!(unix_to_ms(b"-5"), None);
        assert_eq!(unix_to_ms(b"99999999999999999999"), None);
    }

    #[test]
    fn message_types_from_the_first_character() {
        assert_eq!(message_type("13U4"), 1);
        assert_eq!(message_type("5"), 5);
        assert_eq!(message_type("B3RO"), 18);
        assert_eq!(message_type("C"), 19);
        assert_eq!(message_type("H"), 24);
        assert_eq!(message_type("K"), 27);
        assert_eq!(message_type("w"), 63);
    }

    #[test]
    fn comment_blank_and_other_sentences() {
        assert_eq!(decode_line("# a comment", &opts(None)), None);
        assert_eq!(decode_line("   \r\n", &opts(None)), None);
        assert_eq!(
            decode_line("$GPZDA,160012.71,11,03,2004,-1,00*7D", &opts(None)),
            Some(Item::Skipped(Skip::OtherType))
        );
    }

    #[test]
    fn bad_payload_characters_are_refused_not_decoded() {
        // ',' cannot occur (it splits fields); 'X' and 'x' are outside the armour.
        let body = b"AIVDM,1,1,,A,13U4X,0";
        let line = format!(
            "!{}*{:02X}",
            std::str::from_utf8(body).unwrap_or(""),
            xor(body)
        );
        match decode_line(&line, &opts(Some(0))) {
            Some(Item::Refused(why)) => assert!(why.contains("armour"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        /// Any armoured payload of any type, decoded by nmea-parser, gives an item, never a
        /// panic; positions it gives are in range.
        #[test]
        fn any_payload_decodes_or_is_refused(
            first in proptest::sample::select((0u8..64).collect::<Vec<_>>()),
            rest in proptest::collection::vec(0u8..64, 0..90),
            fill in 0u8..6,
        ) {
            let armour = |v: u8| if v < 40 { v + 48 } else { v + 56 };
            let payload: String = std::iter::once(first)
                .chain(rest)
                .map(|v| char::from(armour(v)))
                .collect();
            proptest::prop_assert_eq!(message_type(&payload), first);
            let body = format!("AIVDM,1,1,,A,{payload},{fill}");
            let line = format!("!{body}*{:02X}", xor(body.as_bytes()));
            let item = decode_line(&line, &opts(Some(0)));
            if let Some(Item::Fix(f)) = &item {
                proptest::prop_assert!((-180.0..=180.0).contains(&f.lon));
                proptest::prop_assert!((-90.0..=90.0).contains(&f.lat));
            }
            proptest::prop_assert!(item.is_some());
        }
    }

    #[test]
    fn a_line_over_the_bound_is_refused_and_reading_resumes() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.push(b'\n');
        input.extend_from_slice(b"!AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0*4C\n");
        let mut got = Vec::new();
        let summary = read(&input[..], &opts(Some(0)), |r| {
            got.push((r.line, r.raw.len(), r.item))
        });
        let Ok(summary) = summary else {
            panic!("{summary:?}")
        };
        assert_eq!(summary.refused, 1);
        assert_eq!(summary.fixes, 1);
        assert_eq!(got[0].0, 1);
        assert_eq!(got[0].1, MAX_LINE_BYTES);
        assert!(matches!(&got[0].2, Item::Refused(w) if w.contains("longer than 4096")));
        assert_eq!(got[1].0, 2);
        // Exactly at the bound is fine (with a CRLF ending).
        let mut line = b"!AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0*4C,".to_vec();
        line.resize(MAX_LINE_BYTES, b'7');
        line.extend_from_slice(b"\r\n");
        let mut items = Vec::new();
        let r = read(&line[..], &opts(Some(0)), |r| items.push(r.item));
        assert!(r.is_ok());
        assert!(matches!(items[..], [Item::Fix(_)]), "{items:?}");
    }
}
