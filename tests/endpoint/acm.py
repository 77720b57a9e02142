"""AWS Certificate Manager operations and ACM's content rules for imports.

Requests reach these handlers already authenticated and validated against
botocore's ACM model, with blobs decoded to bytes. Each handler returns the
response document or raises ServiceError. Certificates live in the state
under "acm" -> "certificates" -> ARN."""

import base64
import binascii
import datetime
import functools
import hashlib
import json
import re
import time
import uuid

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import (ExtendedKeyUsageOID, NameOID,
                                   SignatureAlgorithmOID)

from awserror import ServiceError
from model import ServiceJudge

SECTION = "acm"
MAX_TAGS = 50
DEFAULT_PAGE = 1000
DEFAULT_SEARCH_PAGE = 100
MAX_SAN_SUMMARIES = 100
MAX_LAG = 600.0

RSA_SIZES = (1024, 2048, 3072, 4096)
EC_CURVES = {"secp256r1": "prime256v1", "secp384r1": "secp384r1",
             "secp521r1": "secp521r1"}
DEFAULT_KEY_TYPES = ("RSA_1024", "RSA_2048")

MSG_MORE_THAN_ONE = ("The certificate field contains more than one "
                     "certificate. You can specify only one certificate in "
                     "this field.")
# ACM's own wording (as IAM's longer message is not what ACM answers); the
# detail after it says which link failed.
MSG_CHAIN = ("Could not validate the certificate with the certificate chain. "
             "The certificate at index {} of the chain {}.")
MSG_TAGS_ON_REIMPORT = "Tagging is not permitted on re-import."

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n(.*?)-----END \1-----\r?\n?",
    re.DOTALL)
_ARN = re.compile(r"arn:aws:acm:([a-z]{2}(?:-[a-z]+)+-[0-9]):([0-9]{12}):"
                  r"certificate/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{4}-[0-9a-f]{12})")

_KEY_USAGE_NAMES = (
    ("digital_signature", "DIGITAL_SIGNATURE"),
    ("content_commitment", "NON_REPUDIATION"),
    ("key_encipherment", "KEY_ENCIPHERMENT"),
    ("data_encipherment", "DATA_ENCIPHERMENT"),
    ("key_agreement", "KEY_AGREEMENT"),
    ("key_cert_sign", "CERTIFICATE_SIGNING"),
    ("crl_sign", "CRL_SIGNING"),
)
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH.dotted_string:
        "TLS_WEB_SERVER_AUTHENTICATION",
    ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string:
        "TLS_WEB_CLIENT_AUTHENTICATION",
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: "CODE_SIGNING",
    ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: "EMAIL_PROTECTION",
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: "TIME_STAMPING",
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: "OCSP_SIGNING",
    "1.3.6.1.5.5.7.3.5": "IPSEC_END_SYSTEM",
    "1.3.6.1.5.5.7.3.6": "IPSEC_TUNNEL",
    "1.3.6.1.5.5.7.3.7": "IPSEC_USER",
    "2.5.29.37.0": "ANY",
}


def _validation(message):
    return ServiceError("ValidationException", message)


def _epoch(dt):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


# ---- PEM and key rules -------------------------------------------------

def _pem_blocks(data, field):
    """Returns [(label, whole block bytes)]; refuses anything that is not
    PEM blocks separated by whitespace (ACM takes PEM only)."""
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        raise _validation(f"The {field} is not PEM-encoded: it contains "
                          "bytes that are not ASCII (DER is not accepted).")
    blocks = []
    pos = 0
    for m in _PEM_BLOCK.finditer(data):
        if data[pos:m.start()].strip():
            raise _validation(f"The {field} contains text outside PEM "
                              "blocks.")
        blocks.append((m.group(1).decode("ascii"), m.group(0)))
        pos = m.end()
    if data[pos:].strip():
        raise _validation(f"The {field} is not PEM-encoded: it contains "
                          "text outside PEM blocks.")
    if not blocks:
        raise _validation(f"The {field} is not PEM-encoded.")
    return blocks


def _load_certificates(data, field):
    certs = []
    for label, block in _pem_blocks(data, field):
        if label != "CERTIFICATE":
            raise _validation(f"The {field} contains a PEM block of type "
                              f"'{label}'; only CERTIFICATE is allowed.")
        try:
            cert = x509.load_pem_x509_certificate(block)
        except ValueError:
            raise _validation(f"The {field} contains a certificate that "
                              "could not be parsed.")
        if cert.version != x509.Version.v3:
            raise _validation("You can import only X.509 version 3 "
                              f"certificates; the {field} has a "
                              f"{cert.version.name} certificate.")
        certs.append(cert)
    return certs


def _key_algorithm(public_key):
    """ACM's KeyAlgorithm enum value (RSA_2048, EC_prime256v1, ...), or
    None when ACM does not support the key."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size in RSA_SIZES:
            return f"RSA_{public_key.key_size}"
        return None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        name = EC_CURVES.get(public_key.curve.name)
        return f"EC_{name}" if name else None
    return None


def _describe_algorithm(enum_value):
    """RSA_2048 -> RSA-2048, the form ACM shows in certificate details."""
    return enum_value.replace("_", "-", 1)


def _spki(public_key):
    return public_key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


@functools.lru_cache(maxsize=64)
def _parse_key_cached(pem):
    """python3-cryptography 38 runs OpenSSL's RSA key check (primality tests)
    on every load, ~40 ms for RSA-2048: paid once per distinct key, so that
    repeated imports of one key (reimports, bench/import.sh) measure the
    clients and not this check. Errors are not cached (lru_cache re-raises)."""
    return serialization.load_pem_private_key(pem, password=None)


def _load_private_key(data):
    blocks = _pem_blocks(data, "private key")
    labels = [label for label, _ in blocks]
    if "ENCRYPTED PRIVATE KEY" in labels or b"Proc-Type: 4,ENCRYPTED" in data:
        raise _validation("The private key must not be encrypted. You cannot "
                          "import a private key that is protected by a "
                          "password or a passphrase.")
    keys = [b for label, b in blocks if label in (
        "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")]
    others = [label for label in labels if label not in (
        "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "EC PARAMETERS")]
    if others:
        raise _validation(f"The private key field contains a PEM block of "
                          f"type '{others[0]}'.")
    if len(keys) != 1:
        raise _validation("The private key field must contain exactly one "
                          f"private key; it contains {len(keys)}.")
    try:
        key = _parse_key_cached(keys[0])
    except TypeError:
        raise _validation("The private key must not be encrypted.")
    except (ValueError, UnsupportedAlgorithm):
        raise _validation("The private key could not be parsed.")
    if _key_algorithm(key.public_key()) is None:
        raise _validation(
            "The private key is not supported: ACM imports RSA 1024, 2048, "
            "3072 or 4096-bit keys and EC keys on P-256, P-384 or P-521.")
    return key


def _signed_by(cert, issuer):
    """True when issuer's name and key certify cert."""
    if cert.issuer != issuer.subject:
        return False
    public_key = issuer.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes,
                              padding.PKCS1v15(),
                              cert.signature_hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes,
                              ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _key_family(public_key):
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "EC"
    return type(public_key).__name__


def _check_chain(leaf, chain):
    if not chain:
        if not _signed_by(leaf, leaf):
            raise _validation(
                "The certificate is not self-signed, so a certificate chain "
                "that starts with its issuer is required "
                "(CertificateChain is missing).")
        return

    leaf_der = leaf.public_bytes(serialization.Encoding.DER)
    for index, cert in enumerate(chain):
        if cert.public_bytes(serialization.Encoding.DER) == leaf_der:
            raise _validation(MSG_CHAIN.format(
                index, "is the end-entity certificate itself, which must "
                "not be in the chain"))
        below = leaf if index == 0 else chain[index - 1]
        if not _signed_by(below, cert):
            what = "the certificate" if index == 0 else \
                f"the chain certificate at index {index - 1}"
            raise _validation(MSG_CHAIN.format(
                index, f"did not issue {what}; the chain must start with "
                "the issuer and go up in order"))
    # ACM: "The cryptographic algorithm of an imported certificate must match
    # the algorithm of the signing CA" (judged once the chain is known good).
    leaf_family = _key_family(leaf.public_key())
    ca_family = _key_family(chain[0].public_key())
    if leaf_family != ca_family:
        raise _validation(
            f"The certificate's key algorithm ({leaf_family}) does not match "
            f"the algorithm of the signing CA ({ca_family}).")


def _check_validity(cert, now):
    if now < cert.not_valid_before:
        raise _validation(
            "The certificate is not valid yet: it is valid from "
            f"{cert.not_valid_before.isoformat()}Z. The certificate must be "
            "valid when it is imported.")
    if now > cert.not_valid_after:
        raise _validation(
            "The certificate has expired: it was valid until "
            f"{cert.not_valid_after.isoformat()}Z. The certificate must be "
            "valid when it is imported.")


# ---- certificate details ------------------------------------------------

def _serial(cert):
    digits = format(cert.serial_number, "x")
    if len(digits) % 2:
        digits = "0" + digits
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def _first_attribute(name, oid):
    values = name.get_attributes_for_oid(oid)
    return values[0].value if values else None


def _names(cert):
    common = _first_attribute(cert.subject, NameOID.COMMON_NAME)
    try:
        dns = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName)
    except x509.ExtensionNotFound:
        dns = []
    domain = common if common else (dns[0] if dns else None)
    sans = list(dns)
    if domain and domain not in sans:
        sans.insert(0, domain)
    return domain, sans


def _usages(cert):
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        key_usages = [name for attr, name in _KEY_USAGE_NAMES
                      if getattr(ku, attr)]
        if ku.key_agreement:
            if ku.encipher_only:
                key_usages.append("ENCIPHER_ONLY")
            if ku.decipher_only:
                key_usages.append("DECIPHER_ONLY")
    except x509.ExtensionNotFound:
        key_usages = []
    try:
        eku = cert.extensions.get_extension_for_class(
            x509.ExtendedKeyUsage).value
        ekus = [{"Name": _EKU_NAMES.get(o.dotted_string, "CUSTOM"),
                 "OID": o.dotted_string} for o in eku]
    except x509.ExtensionNotFound:
        ekus = []
    return key_usages, ekus


_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1WITHRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "SHA224WITHRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256WITHRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384WITHRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512WITHRSA",
    SignatureAlgorithmOID.RSASSA_PSS: "RSASSA-PSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "SHA1WITHECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224: "SHA224WITHECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "SHA256WITHECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "SHA384WITHECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "SHA512WITHECDSA",
}


def _signature_algorithm(cert):
    """The issuer's signature as ACM names it (from the signature OID, as
    the issuer's key type may differ from the certificate's)."""
    oid = cert.signature_algorithm_oid
    return _SIGNATURE_NAMES.get(oid, oid.dotted_string)


def _issuer_label(cert):
    return (_first_attribute(cert.issuer, NameOID.ORGANIZATION_NAME)
            or _first_attribute(cert.issuer, NameOID.COMMON_NAME)
            or cert.issuer.rfc4514_string())


# ---- SearchCertificates helpers ------------------------------------------

_DN_ATTRIBUTES = (
    (NameOID.COMMON_NAME, "CommonName"),
    (NameOID.COUNTRY_NAME, "Country"),
    (NameOID.LOCALITY_NAME, "Locality"),
    (NameOID.ORGANIZATION_NAME, "Organization"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "OrganizationalUnit"),
    (NameOID.STATE_OR_PROVINCE_NAME, "State"),
    (NameOID.SERIAL_NUMBER, "SerialNumber"),
    (NameOID.GIVEN_NAME, "GivenName"),
    (NameOID.SURNAME, "Surname"),
    (NameOID.TITLE, "Title"),
)


def _distinguished_name(name):
    out = {}
    for oid, member in _DN_ATTRIBUTES:
        value = _first_attribute(name, oid)
        if value is not None:
            out[member] = value
    dcs = [a.value for a in name.get_attributes_for_oid(
        NameOID.DOMAIN_COMPONENT)]
    if dcs:
        out["DomainComponents"] = dcs
    return out


def _compare(filter_, value):
    """A CommonNameFilter / DnsNameFilter against one value (DNS names
    compare case-insensitively)."""
    if value is None:
        return False
    want, have = filter_["Value"].lower(), value.lower()
    if filter_["ComparisonOperator"] == "EQUALS":
        return have == want
    return want in have


def _in_range(range_, epoch):
    start, end = range_.get("Start"), range_.get("End")
    if start is not None and epoch < _epoch(start):
        return False
    if end is not None and epoch > _epoch(end):
        return False
    return True


def _x509_filter_matches(f, r):
    (name, want), = f.items()
    if name == "Subject":
        cert = x509.load_pem_x509_certificate(r["certificate"].encode())
        return _compare(want["CommonName"], _first_attribute(
            cert.subject, NameOID.COMMON_NAME))
    if name == "SubjectAlternativeName":
        cert = x509.load_pem_x509_certificate(r["certificate"].encode())
        try:
            dns = cert.extensions.get_extension_for_class(
                x509.SubjectAlternativeName).value.get_values_for_type(
                    x509.DNSName)
        except x509.ExtensionNotFound:
            dns = []
        return any(_compare(want["DnsName"], d) for d in dns)
    if name == "ExtendedKeyUsage":
        names = {e["Name"] for e in r["extended_key_usages"]} or {"NONE"}
        return want in names
    if name == "KeyUsage":
        return want in r["key_usages"]
    if name == "KeyAlgorithm":
        return r["key_algorithm"] == want
    if name == "SerialNumber":
        return r["serial"] == want
    if name == "NotAfter":
        return _in_range(want, r["not_after"])
    if name == "NotBefore":
        return _in_range(want, r["not_before"])
    return False


# What the control can say about who holds a certificate (the newest model's
# CertificateManagedBy and CertificateKeyPairOrigin).
_MANAGED_BY = {"CLOUDFRONT"}
_KEY_PAIR_ORIGINS = {"AWS_MANAGED", "ACME", "CUSTOMER_PROVIDED"}


def _origin_members(out, r):
    """ManagedBy and CertificateKeyPairOrigin of a summary or detail, only
    when the control set them (older models lack both members)."""
    if r.get("managed_by"):
        out["ManagedBy"] = r["managed_by"]
    if r.get("key_pair_origin"):
        out["CertificateKeyPairOrigin"] = r["key_pair_origin"]


def _search_metadata(r, status):
    """AcmCertificateMetadata of an imported certificate; None is absent."""
    return {
        "ImportedAt": r["imported_at"],
        "InUse": bool(r.get("in_use_by")),
        "Status": status,
        "Type": r["type"],
        "RenewalEligibility": "INELIGIBLE",
        "Exported": False,
        "ExportOption": "DISABLED",
        "CertificateKeyPairOrigin": r.get("key_pair_origin", "CUSTOMER_PROVIDED"),
        "RenewalStatus": None,
        "ManagedBy": r.get("managed_by"),
        "ValidationMethod": None,
        "AcmeEndpointArn": None,
        "AcmeAccountId": None,
    }


_SEARCH_SORT_KEYS = {
    "CREATED_AT": lambda r, s: r["created_at"],
    "IMPORTED_AT": lambda r, s: r["imported_at"],
    "NOT_AFTER": lambda r, s: r["not_after"],
    "NOT_BEFORE": lambda r, s: r["not_before"],
    "CERTIFICATE_ARN": lambda r, s: r["arn"],
    "COMMON_NAME": lambda r, s: r["domain"] or "",
    "KEY_ALGORITHM": lambda r, s: r["key_algorithm"],
    "STATUS": lambda r, s: s,
    "TYPE": lambda r, s: r["type"],
    "IN_USE": lambda r, s: bool(r.get("in_use_by")),
}


# ---- the service --------------------------------------------------------

class AcmService:
    """ACM (X-Amz-Target CertificateManager.*, SigV4 service "acm")."""

    def __init__(self, state, account):
        self.judge = ServiceJudge("acm")
        self.state = state
        self.account = account
        # Seconds a new certificate stays out of ListCertificates and
        # SearchCertificates (ACM's listing is eventually consistent).
        self.visibility_lag = 0.0
        self.handlers = {
            "ImportCertificate": self.import_certificate,
            "DescribeCertificate": self.describe_certificate,
            "GetCertificate": self.get_certificate,
            "ListCertificates": self.list_certificates,
            "ListTagsForCertificate": self.list_tags,
            "AddTagsToCertificate": self.add_tags,
            "RemoveTagsFromCertificate": self.remove_tags,
            "DeleteCertificate": self.delete_certificate,
            "SearchCertificates": self.search_certificates,
        }

    # -- helpers --

    @staticmethod
    def _certs(root):
        return root.setdefault(SECTION, {}).setdefault("certificates", {})

    def _find(self, root, arn, region, account=None):
        account = account or self.account
        m = _ARN.fullmatch(arn)
        if m is None:
            raise ServiceError("InvalidArnException",
                               f"String '{arn}' is not a valid ARN.")
        record = self._certs(root).get(arn)
        if record is None or m.group(1) != region or \
                m.group(2) != account:
            raise ServiceError("ResourceNotFoundException",
                               f"Could not find certificate {arn}.")
        return record

    @staticmethod
    def _status(record, now):
        return "EXPIRED" if _epoch(now) > record["not_after"] else "ISSUED"

    @staticmethod
    def _check_tags(tags):
        keys = [t["Key"] for t in tags]
        for key in keys:
            if key.lower().startswith("aws:"):
                raise ServiceError(
                    "InvalidTagException",
                    f"Tag key '{key}' is not valid: keys beginning with "
                    "'aws:' are reserved for AWS use.")
        for t in tags:
            if t.get("Value", "").lower().startswith("aws:"):
                raise ServiceError(
                    "InvalidTagException",
                    f"Tag value of '{t['Key']}' is not valid: values "
                    "beginning with 'aws:' are reserved for AWS use.")
        if len(set(keys)) != len(keys):
            raise ServiceError("InvalidParameterException",
                               "The request contains the same tag key more "
                               "than once.")

    @staticmethod
    def _merge_tags(existing, new):
        merged = {t["Key"]: t for t in existing}
        for t in new:
            merged[t["Key"]] = dict(t)
        if len(merged) > MAX_TAGS:
            raise ServiceError(
                "TooManyTagsException",
                f"The request contains too many tags: a certificate can have "
                f"at most {MAX_TAGS} tags.")
        return list(merged.values())

    # -- operations --

    def import_certificate(self, params, ctx):
        now = ctx.now
        cert_bytes = params["Certificate"]
        certs = _load_certificates(cert_bytes, "certificate")
        if len(certs) != 1:
            raise _validation(MSG_MORE_THAN_ONE)
        leaf = certs[0]
        chain_bytes = params.get("CertificateChain")
        chain = (_load_certificates(chain_bytes, "certificate chain")
                 if chain_bytes is not None else [])
        key = _load_private_key(params["PrivateKey"])
        algorithm = _key_algorithm(leaf.public_key())
        if algorithm is None:
            raise _validation("The certificate's public key is not supported: "
                              "ACM imports RSA 1024-4096 and EC P-256, P-384 "
                              "and P-521 keys.")
        if _spki(leaf.public_key()) != _spki(key.public_key()):
            raise _validation("The private key does not match the public key "
                              "in the certificate.")
        _check_chain(leaf, chain)
        _check_validity(leaf, now)
        tags = params.get("Tags", [])
        arn = params.get("CertificateArn")
        if arn is not None and "Tags" in params:
            raise _validation(MSG_TAGS_ON_REIMPORT)
        self._check_tags(tags)

        domain, sans = _names(leaf)
        key_usages, ekus = _usages(leaf)
        der = leaf.public_bytes(serialization.Encoding.DER)
        chain_pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode()
                            for c in chain) or None
        detail = {
            "certificate": leaf.public_bytes(
                serialization.Encoding.PEM).decode(),
            "chain": chain_pem,
            "key_sha256": hashlib.sha256(
                params["PrivateKey"]).hexdigest(),
            "key_algorithm": algorithm,
            "serial": _serial(leaf),
            "fingerprint_sha256": hashlib.sha256(der).hexdigest(),
            "domain": domain,
            "sans": sans,
            "subject": leaf.subject.rfc4514_string(),
            "issuer": _issuer_label(leaf),
            "signature_algorithm": _signature_algorithm(leaf),
            "not_before": _epoch(leaf.not_valid_before),
            "not_after": _epoch(leaf.not_valid_after),
            "key_usages": key_usages,
            "extended_key_usages": ekus,
        }
        with self.state.transaction() as root:
            # Stamped when the change is made, under the lock: ImportedAt
            # order is the order in which imports became visible.
            detail["imported_at"] = _epoch(ctx.clock())
            if arn is not None:
                record = self._find(root, arn, ctx.region, ctx.account)
                if record["type"] != "IMPORTED":
                    raise _validation(f"Certificate {arn} was not imported; "
                                      "only imported certificates can be "
                                      "reimported.")
                if record["key_algorithm"] != algorithm:
                    raise _validation(
                        "The key algorithm of the new certificate "
                        f"({_describe_algorithm(algorithm)}) does not match "
                        "the key algorithm of the certificate being "
                        "replaced "
                        f"({_describe_algorithm(record['key_algorithm'])}).")
                record.update(detail)
                record["import_count"] += 1
            else:
                certs_by_arn = self._certs(root)
                # The caller's account: STS's temporary credentials name theirs.
                arn = (f"arn:aws:acm:{ctx.region}:{ctx.account or self.account}:"
                       f"certificate/{uuid.uuid4()}")
                record = dict(detail)
                record.update({"arn": arn, "region": ctx.region,
                               "type": "IMPORTED",
                               "created_at": detail["imported_at"],
                               "visible_at": time.time() +
                               self.visibility_lag,
                               "in_use_by": [],
                               "import_count": 1,
                               "tags": self._merge_tags([], tags)})
                certs_by_arn[arn] = record
        return {"CertificateArn": arn}

    def describe_certificate(self, params, ctx):
        with self.state.reading() as root:
            r = dict(self._find(root, params["CertificateArn"], ctx.region,
                                ctx.account))
        detail = {
            "CertificateArn": r["arn"],
            "Subject": r["subject"],
            "SubjectAlternativeNames": r["sans"],
            "Serial": r["serial"],
            "Issuer": r["issuer"],
            "ImportedAt": r["imported_at"],
            "Status": self._status(r, ctx.now),
            "NotBefore": r["not_before"],
            "NotAfter": r["not_after"],
            "KeyAlgorithm": _describe_algorithm(r["key_algorithm"]),
            "SignatureAlgorithm": r["signature_algorithm"],
            "InUseBy": list(r.get("in_use_by", [])),
            "Type": r["type"],
            "KeyUsages": [{"Name": n} for n in r["key_usages"]],
            "ExtendedKeyUsages": r["extended_key_usages"],
            "RenewalEligibility": "INELIGIBLE",
        }
        _origin_members(detail, r)
        if r["domain"]:
            detail["DomainName"] = r["domain"]
        return {"Certificate": detail}

    def get_certificate(self, params, ctx):
        with self.state.reading() as root:
            r = self._find(root, params["CertificateArn"], ctx.region, ctx.account)
            out = {"Certificate": r["certificate"]}
            if r["chain"]:
                out["CertificateChain"] = r["chain"]
        return out

    def _summary(self, r, now):
        s = {
            "CertificateArn": r["arn"],
            "SubjectAlternativeNameSummaries": r["sans"][:MAX_SAN_SUMMARIES],
            "HasAdditionalSubjectAlternativeNames":
                len(r["sans"]) > MAX_SAN_SUMMARIES,
            "Status": self._status(r, now),
            "Type": r["type"],
            "KeyAlgorithm": _describe_algorithm(r["key_algorithm"]),
            "KeyUsages": list(r["key_usages"]),
            "ExtendedKeyUsages": [e["Name"] for e in
                                  r["extended_key_usages"]],
            "InUse": bool(r.get("in_use_by")),
            "RenewalEligibility": "INELIGIBLE",
            "NotBefore": r["not_before"],
            "NotAfter": r["not_after"],
            "ImportedAt": r["imported_at"],
        }
        _origin_members(s, r)
        if r["domain"]:
            s["DomainName"] = r["domain"]
        return s

    def list_certificates(self, params, ctx):
        includes = params.get("Includes", {})
        key_types = includes.get("keyTypes")
        statuses = params.get("CertificateStatuses")
        key_usage = includes.get("keyUsage")
        ext_usage = includes.get("extendedKeyUsage")
        if ("SortBy" in params) != ("SortOrder" in params):
            raise _validation("If you specify SortBy, you must also specify "
                              "SortOrder.")
        descending = params.get("SortOrder") == "DESCENDING"
        limit = params.get("MaxItems", DEFAULT_PAGE)
        start = 0
        if "NextToken" in params:
            start = self._decode_token(params["NextToken"])
        records = self._visible(ctx.region, ctx.account)
        records.sort(key=lambda r: (r["created_at"], r["arn"]),
                     reverse=descending)
        chosen = []
        for r in records:
            if key_types is None:
                if r["key_algorithm"] not in DEFAULT_KEY_TYPES or \
                        not r["domain"]:
                    continue
            elif r["key_algorithm"] not in key_types:
                continue
            if statuses and self._status(r, ctx.now) not in statuses:
                continue
            if key_usage and "ANY" not in key_usage and not (
                    set(key_usage) & set(r["key_usages"])):
                continue
            names = {e["Name"] for e in r["extended_key_usages"]}
            if ext_usage and "ANY" not in ext_usage and not (
                    set(ext_usage) & (names or {"NONE"})):
                continue
            chosen.append(r)
        page = chosen[start:start + limit]
        out = {"CertificateSummaryList": [self._summary(r, ctx.now)
                                          for r in page]}
        if start + limit < len(chosen):
            out["NextToken"] = base64.b64encode(json.dumps(
                {"offset": start + limit}).encode()).decode()
        return out

    @staticmethod
    def _decode_token(token):
        try:
            offset = json.loads(base64.b64decode(token, validate=True))[
                "offset"]
            if isinstance(offset, bool) or not isinstance(offset, int) or \
                    offset < 0:
                raise ValueError
            return offset
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ServiceError("InvalidArgsException",
                               "The NextToken is not valid.")

    def list_tags(self, params, ctx):
        with self.state.reading() as root:
            r = self._find(root, params["CertificateArn"], ctx.region, ctx.account)
            tags = [dict(t) for t in r["tags"]]
        return {"Tags": tags} if tags else {}

    def add_tags(self, params, ctx):
        self._check_tags(params["Tags"])
        with self.state.transaction() as root:
            r = self._find(root, params["CertificateArn"], ctx.region, ctx.account)
            r["tags"] = self._merge_tags(r["tags"], params["Tags"])
        return {}

    def remove_tags(self, params, ctx):
        with self.state.transaction() as root:
            r = self._find(root, params["CertificateArn"], ctx.region, ctx.account)
            kept = []
            for t in r["tags"]:
                if any(t["Key"] == d["Key"] and
                       ("Value" not in d or d["Value"] == t.get("Value", ""))
                       for d in params["Tags"]):
                    continue
                kept.append(t)
            r["tags"] = kept
        return {}

    def delete_certificate(self, params, ctx):
        arn = params["CertificateArn"]
        with self.state.transaction() as root:
            record = self._find(root, arn, ctx.region, ctx.account)
            if record.get("in_use_by"):
                raise ServiceError("ResourceInUseException",
                                   f"Certificate {arn} is in use.")
            del self._certs(root)[arn]
        return {}

    def _visible(self, region, account=None):
        """Copies of the region's records of the caller's account that
        ListCertificates and SearchCertificates show now (see
        visibility_lag)."""
        now = time.time()
        account = account or self.account
        with self.state.reading() as root:
            return [dict(r) for r in self._certs(root).values()
                    if r["region"] == region and r["arn"].split(":")[4] == account and
                    r.get("visible_at", 0) <= now]

    # -- SearchCertificates (newest model, models/acm-newest.json) --

    def search_certificates(self, params, ctx):
        statement = params.get("FilterStatement")
        limit = params.get("MaxResults", DEFAULT_SEARCH_PAGE)
        start = 0
        if "NextToken" in params:
            try:
                start = self._decode_token(params["NextToken"])
            except ServiceError:
                raise _validation("The NextToken is not valid.")
        records = self._visible(ctx.region, ctx.account)
        records.sort(key=lambda r: (r["created_at"], r["arn"]))
        chosen = [r for r in records if statement is None or
                  self._search_matches(statement, r, ctx.now)]
        sort_by = params.get("SortBy")
        if sort_by is not None:
            key = _SEARCH_SORT_KEYS.get(sort_by, lambda r, s: 0)
            chosen.sort(key=lambda r: key(r, self._status(r, ctx.now)),
                        reverse=params.get("SortOrder") == "DESCENDING")
        page = chosen[start:start + limit]
        out = {"Results": [self._search_result(r, ctx.now) for r in page]}
        if start + limit < len(chosen):
            out["NextToken"] = base64.b64encode(json.dumps(
                {"offset": start + limit}).encode()).decode()
        return out

    def _search_matches(self, st, r, now):
        if "And" in st:
            return all(self._search_matches(s, r, now) for s in st["And"])
        if "Or" in st:
            return any(self._search_matches(s, r, now) for s in st["Or"])
        if "Not" in st:
            return not self._search_matches(st["Not"], r, now)
        f = st["Filter"]
        if "CertificateArn" in f:
            return r["arn"] == f["CertificateArn"]
        if "X509AttributeFilter" in f:
            return _x509_filter_matches(f["X509AttributeFilter"], r)
        meta = _search_metadata(r, self._status(r, now))
        (name, want), = f["AcmCertificateMetadataFilter"].items()
        return meta.get(name) == want

    def _search_result(self, r, now):
        cert = x509.load_pem_x509_certificate(r["certificate"].encode())
        try:
            san = cert.extensions.get_extension_for_class(
                x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            san = []
        names = []
        for n in san:
            if isinstance(n, x509.DNSName):
                names.append({"DnsName": n.value})
            elif isinstance(n, x509.IPAddress):
                names.append({"IpAddress": str(n.value)})
            elif isinstance(n, x509.RFC822Name):
                names.append({"Rfc822Name": n.value})
            elif isinstance(n, x509.UniformResourceIdentifier):
                names.append({"UniformResourceIdentifier": n.value})
        attributes = {
            "Issuer": _distinguished_name(cert.issuer),
            "Subject": _distinguished_name(cert.subject),
            "SubjectAlternativeNames": names,
            "ExtendedKeyUsages": [e["Name"] for e in
                                  r["extended_key_usages"]],
            "KeyAlgorithm": r["key_algorithm"],
            "KeyUsages": list(r["key_usages"]),
            "SerialNumber": r["serial"],
            "NotAfter": r["not_after"],
            "NotBefore": r["not_before"],
        }
        meta = _search_metadata(r, self._status(r, now))
        meta = {k: v for k, v in meta.items() if v is not None}
        return {"CertificateArn": r["arn"], "X509Attributes": attributes,
                "CertificateMetadata": {"AcmCertificateMetadata": meta}}

    def control(self, method, body):
        """GET /__control/acm shows the settings; POST sets
        {"visibility_lag": seconds} (new certificates stay out of the
        listing and search that long), {"in_use": {ARN: [resource
        ARNs]}} (InUseBy; an empty list frees the certificate),
        {"managed_by": {ARN: "CLOUDFRONT" | null}} and/or
        {"key_pair_origin": {ARN: "ACME" | "AWS_MANAGED" |
        "CUSTOMER_PROVIDED"}} (what the newest model reports of a
        certificate another service holds)."""
        if method == "POST":
            doc = json.loads(body.decode("utf-8") or "{}")
            if not isinstance(doc, dict) or set(doc) - {
                    "visibility_lag", "in_use", "managed_by",
                    "key_pair_origin"}:
                raise ValueError("give visibility_lag, in_use, managed_by "
                                 "and/or key_pair_origin")
            managed = doc.get("managed_by", {})
            origins = doc.get("key_pair_origin", {})
            if not isinstance(managed, dict) or not all(
                    v is None or v in _MANAGED_BY for v in managed.values()):
                raise ValueError("managed_by maps certificate ARNs to "
                                 "CLOUDFRONT or null")
            if not isinstance(origins, dict) or not all(
                    v in _KEY_PAIR_ORIGINS for v in origins.values()):
                raise ValueError("key_pair_origin maps certificate ARNs to "
                                 "AWS_MANAGED, ACME or CUSTOMER_PROVIDED")
            lag = doc.get("visibility_lag", self.visibility_lag)
            if isinstance(lag, bool) or not isinstance(lag, (int, float)) \
                    or not 0 <= lag <= MAX_LAG:
                raise ValueError(f"visibility_lag must be 0 to {MAX_LAG:g} "
                                 "seconds")
            in_use = doc.get("in_use", {})
            if not isinstance(in_use, dict) or not all(
                    isinstance(v, list) and all(isinstance(x, str) for x in v)
                    for v in in_use.values()):
                raise ValueError("in_use maps certificate ARNs to lists of "
                                 "resource ARNs")
            with self.state.transaction() as root:
                certs = self._certs(root)
                missing = [a for a in (*in_use, *managed, *origins)
                           if a not in certs]
                if missing:
                    raise ValueError(f"no certificate {missing[0]}")
                for arn, users in in_use.items():
                    certs[arn]["in_use_by"] = list(users)
                for arn, by in managed.items():
                    certs[arn]["managed_by"] = by
                for arn, origin in origins.items():
                    certs[arn]["key_pair_origin"] = origin
            self.visibility_lag = float(lag)
        return {"visibility_lag": self.visibility_lag}

    def control_listing(self):
        """Every stored certificate, for GET /__control/certificates."""
        records = self.state.snapshot(SECTION).get("certificates", {})
        return [{
            "arn": r["arn"], "region": r["region"], "serial": r["serial"],
            "fingerprint_sha256": r["fingerprint_sha256"],
            "key_sha256": r["key_sha256"],
            "key_algorithm": r["key_algorithm"], "domain": r["domain"],
            "tags": r["tags"], "import_count": r["import_count"],
            "imported_at": r["imported_at"], "has_chain": bool(r["chain"]),
            "in_use_by": r.get("in_use_by", []),
        } for r in sorted(records.values(),
                          key=lambda r: (r["created_at"], r["arn"]))]
