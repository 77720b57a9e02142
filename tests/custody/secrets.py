"""The secrets of one run, in every form the custody harness looks for, and
the search that finds any copy of them in a byte string.

Completeness argument: every overlapping 16-byte window of every secret form
goes into one dict; memory is probed at every 16-byte-aligned offset. A copy
of a form that is at least 31 bytes long, at any alignment, contains a whole
aligned 16-byte block, and that block is one of the windows. Secrets shorter
than 16 bytes (a PIN) are searched whole at every offset with bytes.find.

Runs inside gdb's embedded Python (Debian's python3.11) and under
/usr/bin/python3; needs python3-cryptography (Debian's, 38).
"""

import base64
import json

WINDOW = 16
PAGE = 4096
_ZERO_PAGE = bytes(PAGE)


def _bn_words(v):
    """v as a BIGNUM holds it on a 64-bit little-endian machine: 8-byte
    words, least significant first (the big-endian bytes reversed)."""
    n = max(8, -(-((v.bit_length() + 7) // 8) // 8) * 8)
    return v.to_bytes(n, "little").rstrip(b"\0") or b"\0"


def _key_forms(key, prefix, bn_words=False):
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    none = ser.NoEncryption()
    der8 = key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, none)
    pem8 = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, none)
    dert = key.private_bytes(ser.Encoding.DER,
                             ser.PrivateFormat.TraditionalOpenSSL, none)
    pemt = key.private_bytes(ser.Encoding.PEM,
                             ser.PrivateFormat.TraditionalOpenSSL, none)
    trad = "PKCS#1" if isinstance(key, rsa.RSAPrivateKey) else "SEC1"
    forms = [
        (prefix + "PKCS#8 DER", der8),
        (prefix + trad + " DER", dert),
        (prefix + "PKCS#8 PEM", pem8),
        (prefix + trad + " PEM", pemt),
        # What ImportCertificate's JSON body carries: base64 of the PEM.
        (prefix + "base64(PKCS#8 PEM)", base64.b64encode(pem8)),
        (prefix + "base64(" + trad + " PEM)", base64.b64encode(pemt)),
        # The PEM body without its line breaks (an encoder's output before
        # it wraps lines).
        (prefix + "base64(PKCS#8 DER)", base64.b64encode(der8)),
        (prefix + "base64(" + trad + " DER)", base64.b64encode(dert)),
    ]
    # Raw big-endian private numbers, as BN_bn2bin would write them.
    if isinstance(key, rsa.RSAPrivateKey):
        nums = key.private_numbers()
        for name in ("d", "p", "q"):
            v = getattr(nums, name)
            forms.append((prefix + "RSA " + name + " (raw)",
                          v.to_bytes((v.bit_length() + 7) // 8, "big")))
            if bn_words:
                forms.append((prefix + "RSA " + name + " (BIGNUM words)", _bn_words(v)))
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        v = key.private_numbers().private_value
        size = (key.curve.key_size + 7) // 8
        forms.append((prefix + "EC d (raw)", v.to_bytes(size, "big")))
        if bn_words:
            forms.append((prefix + "EC d (BIGNUM words)", _bn_words(v)))
    return forms


def load_key(path, passphrase=None):
    """Returns the private key in path (PEM, DER or PKCS#12)."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.serialization import pkcs12

    with open(path, "rb") as f:
        data = f.read()
    pw = passphrase if passphrase else None
    if b"-----BEGIN" in data:
        return ser.load_pem_private_key(data, pw)
    try:
        return ser.load_der_private_key(data, pw)
    except ValueError:
        key, _, _ = pkcs12.load_key_and_certificates(data, pw)
        return key


def _pem_blocks_der(data):
    out = []
    for block in data.split(b"-----BEGIN ")[1:]:
        body = block.split(b"-----", 1)[1].split(b"-----END", 1)[0]
        try:
            out.append(base64.b64decode(b"".join(body.split())))
        except ValueError:
            pass
    return out


def _structure_twin(key):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return rsa.generate_private_key(key.private_numbers().public_numbers.e,
                                        key.key_size)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ec.generate_private_key(key.curve)
    return None


def public_blobs(spec):
    """Bytes that are public but share runs with a key's forms: the public
    key (an RSA modulus and an EC point sit in the private key's DER too),
    the certificates given with "public_files" (PEM text and DER), and the
    base64 of each at its three byte alignments (the JSON body carries
    base64 of the certificate PEM)."""
    from cryptography.hazmat.primitives import serialization as ser

    blobs = []
    for k in spec.get("keys", []):
        pw = k.get("passphrase")
        key = load_key(k["path"], pw.encode() if pw else None)
        # An unrelated key of the same type and size: the windows its forms
        # share with the real key's are encoding structure (PEM armour,
        # ASN.1 lengths, algorithm and curve OIDs), the same for every such
        # key, so they cannot be evidence of this one.
        twin = _structure_twin(key)
        if twin is not None:
            blobs += [data for _, data in _key_forms(twin, "")]
        pub = key.public_key()
        spki = pub.public_bytes(ser.Encoding.DER,
                                ser.PublicFormat.SubjectPublicKeyInfo)
        blobs += [spki, pub.public_bytes(ser.Encoding.PEM,
                                         ser.PublicFormat.SubjectPublicKeyInfo)]
    for path in spec.get("public_files", []):
        with open(path, "rb") as f:
            data = f.read()
        blobs.append(data)
        ders = _pem_blocks_der(data)
        blobs += ders
        # A PKCS#12 bag carries the certificate's SHA-1 in clear as its
        # localKeyID; OpenSSL copies it into the X509's aux data.
        import hashlib
        for der in ders:
            blobs += [hashlib.sha1(der).digest(), hashlib.sha256(der).digest()]
    out = []
    for b in blobs:
        out.append(b)
        out += [base64.b64encode(b[k:]) for k in range(3)]
    return out


def build_forms(spec):
    """spec: dict with optional keys "keys" (list of {"path", "passphrase"}),
    "passphrases", "pins", "aws_secrets" (lists of str), "files" (paths whose
    whole content is secret, e.g. a PKCS#12 bundle). Returns [(name, bytes)]."""
    forms = []
    for i, k in enumerate(spec.get("keys", [])):
        pw = k.get("passphrase")
        key = load_key(k["path"], pw.encode() if pw else None)
        prefix = "" if len(spec["keys"]) == 1 else "key%d " % (i + 1)
        forms.extend(_key_forms(key, prefix, spec.get("bn_words", False)))
    for p in spec.get("files", []):
        with open(p, "rb") as f:
            forms.append(("file " + p.rsplit("/", 1)[-1], f.read()))
    for label, field in (("passphrase", "passphrases"), ("PIN", "pins"),
                         ("AWS secret", "aws_secrets")):
        for s in spec.get(field, []):
            forms.append((label, s.encode()))
    return [(n, b) for n, b in forms if b]


class Needles:
    """Every 16-byte window of every form, plus the forms under 16 bytes."""

    def __init__(self, forms, public=()):
        self.forms = forms
        self.windows = {}
        self.short = []
        for fi, (_, data) in enumerate(forms):
            if len(data) < WINDOW:
                self.short.append(fi)
                continue
            for off in range(len(data) - WINDOW + 1):
                self.windows.setdefault(data[off:off + WINDOW], []).append(
                    (fi, off))

        # Windows that public data also contains are not evidence of a
        # secret: dropped, and counted so that the report says how many.
        self.public_dropped = 0
        for blob in public:
            for off in range(len(blob) - WINDOW + 1):
                if self.windows.pop(blob[off:off + WINDOW], None) is not None:
                    self.public_dropped += 1
        # A zero page can only hold a secret made of zeros; checked, not assumed.
        self.skip_zero = bytes(WINDOW) not in self.windows

    def count(self):
        return len(self.windows) + len(self.short)

    def _extend(self, buf, pos, fi, off):
        """The longest run around buf[pos:pos+16] == form[off:off+16]."""
        data = self.forms[fi][1]
        start, foff = pos, off
        while start > 0 and foff > 0 and buf[start - 1] == data[foff - 1]:
            start -= 1
            foff -= 1
        end, fend = pos + WINDOW, off + WINDOW
        while end < len(buf) and fend < len(data) and buf[end] == data[fend]:
            end += 1
            fend += 1
        return start, end - start, foff

    def scan(self, buf):
        """Returns (hits, probes): hits are dicts with offset, length, form,
        form_offset, form_length; one per distinct copy."""
        hits = {}
        probes = 0
        n = len(buf)
        windows = self.windows
        for page in range(0, n, PAGE):
            end = min(page + PAGE, n)
            if (self.skip_zero and end - page == PAGE and
                    buf[page:end] == _ZERO_PAGE):
                probes += PAGE // WINDOW
                continue
            # PAGE is a multiple of WINDOW, so aligned windows never straddle
            # two pages; a short tail (not page-sized) is probed as far as a
            # whole window fits.
            offs = range(page, min(end, n - WINDOW + 1), WINDOW)
            probes += len(offs)
            found = [o for o in offs if buf[o:o + WINDOW] in windows]
            for o in found:
                best = None
                for fi, foff in windows[buf[o:o + WINDOW]]:
                    run = self._extend(buf, o, fi, foff)
                    # Longest run first; on a tie, the form it covers most
                    # of (PKCS#1 DER whole rather than PKCS#8 DER in part).
                    if best is None or (run[1], -len(self.forms[fi][1])) > \
                            (best[1][1], -len(self.forms[best[0]][1])):
                        best = (fi, run)
                fi, (start, length, foff) = best
                key = (start, fi)
                if key not in hits:
                    hits[key] = {"offset": start, "length": length,
                                 "form": self.forms[fi][0],
                                 "form_offset": foff,
                                 "form_length": len(self.forms[fi][1])}
        for fi in self.short:
            data = self.forms[fi][1]
            pos = buf.find(data)
            while pos != -1:
                hits[(pos, fi)] = {"offset": pos, "length": len(data),
                                   "form": self.forms[fi][0],
                                   "form_offset": 0,
                                   "form_length": len(data)}
                pos = buf.find(data, pos + 1)
        return sorted(hits.values(), key=lambda h: h["offset"]), probes


def load_spec(path):
    with open(path) as f:
        return json.load(f)
