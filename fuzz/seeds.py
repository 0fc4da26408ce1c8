#!/usr/bin/env python3
"""Writes the generated seeds of fuzz/corpus/: signed notes, checkpoints, tlog-proofs, cosignatures,
add-checkpoint requests and policies made with the fuzz targets' fixed keys (fuzz_targets/keys.rs:
the log key's seed is 32 bytes of 7, the witness's 32 bytes of 9; public seeds, never for real
use). The trees' leaves are b"leaf<i>". Needs python3 with `cryptography`. Run from anywhere:
python3 fuzz/seeds.py (it overwrites only the files it writes)."""
import base64, hashlib, os
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN, WITNESS = "fuzz.example/log", "fuzz.example/witness"
EMDASH = "\u2014"
T1, T4 = b"\x01", b"\x04"  # signed-note Ed25519 and tlog-cosignature key types
b64 = lambda b: base64.b64encode(b).decode()
sha = lambda b: hashlib.sha256(b).digest()

def key(seed):
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sk, pk

log_sk, log_pk = key(bytes([7]) * 32)
wit_sk, wit_pk = key(bytes([9]) * 32)
log_id = sha(ORIGIN.encode() + b"\n\x01" + log_pk)[:4]
wit_id = sha(WITNESS.encode() + b"\n\x04" + wit_pk)[:4]
log_vkey = f"{ORIGIN}+{log_id.hex()}+{b64(T1 + log_pk)}"
wit_vkey = f"{WITNESS}+{wit_id.hex()}+{b64(T4 + wit_pk)}"

def leaf(i): return sha(b"\x00" + b"leaf%d" % i)
def node(l, r): return sha(b"\x01" + l + r)
def split(n):
    k = 1
    while k * 2 < n: k *= 2
    return k
def mth(lo, hi):
    n = hi - lo
    if n == 1: return leaf(lo)
    k = split(n)
    return node(mth(lo, lo + k), mth(lo + k, hi))
def path(m, lo, hi):
    n = hi - lo
    if n == 1: return []
    k = split(n)
    if m < k: return path(m, lo, lo + k) + [mth(lo + k, hi)]
    return path(m - k, lo + k, hi) + [mth(lo, lo + k)]
def subproof(m, lo, hi, b):
    n = hi - lo
    if m == n: return [] if b else [mth(lo, hi)]
    k = split(n)
    if m <= k: return subproof(m, lo, lo + k, b) + [mth(lo + k, hi)]
    return subproof(m - k, lo + k, hi, False) + [mth(lo, lo + k)]

def body(size): return f"{ORIGIN}\n{size}\n{b64(mth(0, size))}\n".encode()
def note(size):
    b = body(size)
    return b + b"\n" + (EMDASH + f" {ORIGIN} {b64(log_id + log_sk.sign(b))}\n").encode()
def cosig_line(b, ts=1700000000):
    msg = f"cosignature/v1\ntime {ts}\n".encode() + b
    return EMDASH + f" {WITNESS} {b64(wit_id + ts.to_bytes(8, 'big') + wit_sk.sign(msg))}"
def cosigned(size): return note(size) + (cosig_line(body(size)) + "\n").encode()
def request(old, size):
    proof = subproof(old, 0, size, True) if 0 < old < size else []
    head = f"old {old}\n" + "".join(b64(h) + "\n" for h in proof) + "\n"
    return head.encode() + note(size)
def tlog_proof(index, size, extra=None):
    head = "c2sp.org/tlog-proof@v1\n" + (f"extra {b64(extra)}\n" if extra else "")
    head += f"index {index}\n" + "".join(b64(h) + "\n" for h in path(index, 0, size)) + "\n"
    return head.encode() + note(size)

seeds = {
    "checkpoint": {"note5": note(5), "note8-cosigned": cosigned(8), "note1": note(1)},
    "tlog_proof": {"index2-of5": tlog_proof(2, 5), "index0-of1": tlog_proof(0, 1),
                   "index6-of8-extra": tlog_proof(6, 8, b"app data")},
    "cosignature": {"vkey": wit_vkey.encode(), "log-vkey": log_vkey.encode(),
                    "private": f"PRIVATE+KEY+{WITNESS}+{wit_id.hex()}+{b64(T4 + bytes([9]) * 32)}".encode(),
                    "line": (cosig_line(body(5)) + "\n").encode(), "request": request(5, 8)},
    "witness_request": {"old5-new8": request(5, 8), "old5-same": request(5, 5),
                        "old0": request(0, 5), "old5-new6": request(5, 6)},
    "policy": {"one-witness": f"log {log_vkey}\nwitness w {wit_vkey}\nquorum w\n".encode(),
               "group": f"log {log_vkey} https://log.example\nwitness w {wit_vkey}\n"
                        f"witness v {WITNESS}2+00000000+{b64(T4 + bytes(32))}\n"
                        f"group g 1 w v  # any one\ngroup h all g\nquorum h\n".encode(),
               "none": f"log {log_vkey}\nquorum none\n".encode()},
}
for target, files in seeds.items():
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, "gen-" + name), "wb") as f:
            f.write(data)
print("log vkey:", log_vkey)
print("witness vkey:", wit_vkey)
