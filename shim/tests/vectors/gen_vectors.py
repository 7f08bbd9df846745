#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Derive SIP004 known-answer vectors with an implementation independent of
omr-shim: hashlib MD5 for EVP_BytesToKey, and python3-cryptography (Debian)
for HKDF-SHA1 and the AEADs. Output: one vector per line,
  method password salt_hex plen sha256(ciphertext) ciphertext_hex_or_-
with plaintext[i] = (7*i + 3) & 0xff. Run: python3 gen_vectors.py > aead.txt"""
import hashlib
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

METHODS = {"chacha20-ietf-poly1305": (32, ChaCha20Poly1305),
           "aes-256-gcm": (32, AESGCM), "aes-128-gcm": (16, AESGCM)}

def bytes_to_key(pw, klen):
    out, prev = b"", b""
    while len(out) < klen:
        prev = hashlib.md5(prev + pw).digest()
        out += prev
    return out[:klen]

def encrypt(method, pw, salt, pt):
    klen, aead = METHODS[method]
    key = bytes_to_key(pw, klen)
    sub = HKDF(hashes.SHA1(), klen, salt, b"ss-subkey").derive(key)
    a, n, out = aead(sub), 0, salt
    def seal(data):
        nonlocal n
        r = a.encrypt(n.to_bytes(12, "little"), data, None)
        n += 1
        return r
    for i in range(0, len(pt), 0x3FFF):
        chunk = pt[i:i + 0x3FFF]
        out += seal(len(chunk).to_bytes(2, "big")) + seal(chunk)
    return out

def main():
    for method, (klen, _) in METHODS.items():
        for pw, plen in ((b"omr-test-password", 1), (b"omr-test-password", 300),
                         (b"x", 16383), (b"a much longer password, with spaces", 40000)):
            salt = bytes((5 * i + 1) & 0xff for i in range(klen))
            pt = bytes((7 * i + 3) & 0xff for i in range(plen))
            ct = encrypt(method, pw, salt, pt)
            full = ct.hex() if len(ct) <= 400 else "-"
            print(method, pw.hex(), salt.hex(), plen, hashlib.sha256(ct).hexdigest(), full)

if __name__ == "__main__":
    main()
