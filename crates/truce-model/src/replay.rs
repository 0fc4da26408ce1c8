//! Replaying a stream of log entries into a [`Ledger`], decoding ahead on other threads.
//!
//! Decoding an entry (JSON, canonical form, SHA-256, typed body: [`Decoded::of`]) depends on its
//! bytes alone and is most of a replay's work; applying it depends on every entry before it. So
//! the caller's thread reads the entries (`feed`) and hands them out in batches, round robin, to
//! `decoders` threads; one more thread applies the decoded batches in the same round-robin order,
//! which is log order. The ledger that results is exactly the one [`Ledger::apply`] entry by entry
//! gives (tested). Memory is bounded: at most a few batches wait in each bounded channel.

use crate::ledger::{Applied, Decoded, Ledger};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Entries per batch handed to a decoder.
pub const BATCH: usize = 512;
/// Batches waiting in each channel, at most.
const DEPTH: usize = 4;

/// How many decoder threads to use on this machine: one fewer than its cores (the feeding and the
/// applying threads share the rest), at least one, at most four.
pub fn decoders() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .clamp(1, 4)
}

/// Replays the entries `feed` produces into `ledger`, in the order fed (log order), calling
/// `each(index, &applied)` for every entry as it is applied. `feed` is handed a sink for
/// `(index, bytes)` and returns what the caller's reader returns; its error ends the replay after
/// the entries fed before it are applied. With `decoders == 0` everything runs on this thread.
pub fn replay<R, E>(
    ledger: &mut Ledger,
    decoders: usize,
    feed: impl FnOnce(&mut dyn FnMut(u64, &[u8])) -> Result<R, E>,
    each: impl FnMut(u64, &Applied) + Send,
) -> Result<R, E> {
    replay_hooked(ledger, decoders, feed, &mut Each(each))
}

/// What a replay calls around each entry, on the thread that applies them, in log order, with the
/// entry's bytes and the ledger: for a caller whose work at an entry needs the ledger just before
/// or just after it (the verifier: copies of the ledger at given sizes, judging there, the
/// changes a reading version made, why an entry was refused).
pub trait Hooks: Send {
    /// Before the entry `index` (`bytes`) is applied: `ledger` holds the entries before it.
    fn before(&mut self, index: u64, bytes: &[u8], ledger: &Ledger) {
        let _ = (index, bytes, ledger);
    }
    /// After the entry was applied: what applying it did, and the ledger with it.
    fn after(&mut self, index: u64, bytes: &[u8], applied: &Applied, ledger: &Ledger);
}

impl<H: Hooks + ?Sized> Hooks for &mut H {
    fn before(&mut self, index: u64, bytes: &[u8], ledger: &Ledger) {
        (**self).before(index, bytes, ledger)
    }
    fn after(&mut self, index: u64, bytes: &[u8], applied: &Applied, ledger: &Ledger) {
        (**self).after(index, bytes, applied, ledger)
    }
}

/// [`replay`]'s `each` as [`Hooks`].
struct Each<F>(F);

impl<F: FnMut(u64, &Applied) + Send> Hooks for Each<F> {
    fn after(&mut self, index: u64, _: &[u8], applied: &Applied, _: &Ledger) {
        (self.0)(index, applied)
    }
}

/// [`replay`], calling `hooks` before and after each entry on the applying thread (the same
/// replay: [`replay`] is this with an `after` hook only). The entries' bytes reach the applying
/// thread with their decoded values (a batch's buffer is handed on, not copied).
pub fn replay_hooked<R, E>(
    ledger: &mut Ledger,
    decoders: usize,
    feed: impl FnOnce(&mut dyn FnMut(u64, &[u8])) -> Result<R, E>,
    hooks: &mut impl Hooks,
) -> Result<R, E> {
    if decoders == 0 {
        return feed(&mut |i, bytes| {
            hooks.before(i, bytes, ledger);
            let applied = ledger.apply(i, bytes);
            hooks.after(i, bytes, &applied, ledger);
        });
    }
    type Done = (Batch, Vec<Decoded>);
    std::thread::scope(|scope| {
        let mut inputs: Vec<SyncSender<Batch>> = Vec::with_capacity(decoders);
        let mut outputs: Vec<Receiver<Done>> = Vec::with_capacity(decoders);
        for _ in 0..decoders {
            let (tx_in, rx_in) = sync_channel::<Batch>(DEPTH);
            let (tx_out, rx_out) = sync_channel::<Done>(DEPTH);
            scope.spawn(move || {
                for batch in rx_in {
                    let decoded = batch.entries().map(|(_, e)| Decoded::of(e)).collect();
                    if tx_out.send((batch, decoded)).is_err() {
                        return;
                    }
                }
            });
            inputs.push(tx_in);
            outputs.push(rx_out);
        }
        // The applier reads the decoders' answers in the order the batches were handed out.
        let applier = scope.spawn(move || {
            for k in 0.. {
                let Ok((batch, decoded)) = outputs[k % outputs.len()].recv() else {
                    return;
                };
                for ((i, bytes), d) in batch.entries().zip(decoded) {
                    hooks.before(i, bytes, ledger);
                    let applied = ledger.apply_decoded(i, d);
                    hooks.after(i, bytes, &applied, ledger);
                }
            }
        });
        let mut next = 0usize;
        let mut batch = Batch::default();
        let hand_out = |batch: Batch, next: &mut usize| {
            // A decoder gone means the applier is gone too (a panic): stop feeding it.
            let _ = inputs[*next % inputs.len()].send(batch);
            *next += 1;
        };
        let out = feed(&mut |i, bytes| {
            batch.push(i, bytes);
            if batch.len() == BATCH {
                hand_out(std::mem::take(&mut batch), &mut next);
            }
        });
        if batch.len() > 0 {
            hand_out(batch, &mut next);
        }
        drop(inputs);
        if let Err(panic) = applier.join() {
            std::panic::resume_unwind(panic);
        }
        out
    })
}

/// Entries handed to a decoder at once: their bytes one after another in one buffer (one
/// allocation a batch, not one an entry).
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    /// (index, end of its bytes in `data`).
    ends: Vec<(u64, usize)>,
}

impl Batch {
    fn push(&mut self, index: u64, bytes: &[u8]) {
        if self.ends.is_empty() {
            self.ends.reserve(BATCH);
            self.data.reserve(BATCH * 640);
        }
        self.data.extend_from_slice(bytes);
        self.ends.push((index, self.data.len()));
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn entries(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(i, end)| {
            let e = &self.data[start..end];
            start = end;
            (i, e)
        })
    }
}

/// Decodes `entries` ([`Decoded::of`]) on up to `threads` threads (this one included), in order:
/// for a caller that holds a batch of entries at once (a bundle) and applies them itself with
/// [`Ledger::apply_decoded`].
pub fn decode_all(entries: &[&[u8]], threads: usize) -> Vec<Decoded> {
    let threads = threads.clamp(1, 8);
    if threads == 1 || entries.len() < 64 {
        return entries.iter().map(|e| Decoded::of(e)).collect();
    }
    let chunk = entries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = entries.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let handles: Vec<_> = parts
            .map(|part| {
                scope.spawn(move || part.iter().map(|e| Decoded::of(e)).collect::<Vec<_>>())
            })
            .collect();
        let mut out: Vec<Decoded> = first.iter().map(|e| Decoded::of(e)).collect();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}
