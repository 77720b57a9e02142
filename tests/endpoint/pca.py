"""AWS Private CA (X-Amz-Target ACMPrivateCA.*, SigV4 service "acm-pca").

DescribeCertificateAuthority, IssueCertificate, GetCertificate and
GetCertificateAuthorityCertificate over a fixed set of subordinate CAs, one
per key algorithm of the model plus one DISABLED, each under a root of the
same algorithm so that chains hold two certificates. CA ARNs are stable
(uuid5 of the account and the CA's name), so tests can name them; they are
also listed by GET /__control/pca. CA keys are made in a background thread
when Private CA is first used (a request, or GET /__control/pca), so that
servers that only serve ACM spend nothing on them, by `openssl genpkey`
subprocesses (a daemon thread must not sit inside OpenSSL when the server
exits), and kept in DIR/pca-cas.json so that a restart keeps the same CAs;
requests wait for their CA.

GetCertificate answers RequestInProgressException for `pending_polls`
polls after each issue (server flag --pca-pending-polls, or POST
/__control/pca {"pending_polls": N}; {"release": true} issues every pending
certificate now). IssueCertificate honours the
IdempotencyToken for 5 minutes as its model documents: the same token on the
same CA gives the first request's certificate ARN, whatever CSR the later
request carries (a reused token with a new key gets a certificate for the
old key)."""

import datetime
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import threading
import uuid

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from awserror import ServiceError
from model import ServiceJudge

SECTION = "acm-pca"
CA_REGION = "us-east-1"
IDEMPOTENCY_SECONDS = 300
CA_YEARS = 10

# name, KeyAlgorithm, SigningAlgorithm, Status
CAS = (
    ("rsa2048", "RSA_2048", "SHA256WITHRSA", "ACTIVE"),
    ("rsa4096", "RSA_4096", "SHA256WITHRSA", "ACTIVE"),
    ("ecp256", "EC_prime256v1", "SHA256WITHECDSA", "ACTIVE"),
    ("ecp384", "EC_secp384r1", "SHA384WITHECDSA", "ACTIVE"),
    ("disabled", "RSA_2048", "SHA256WITHRSA", "DISABLED"),
)

HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384,
          "SHA512": hashes.SHA512}

TEMPLATE_PREFIX = "arn:aws:acm-pca:::template/"
PASSTHROUGH_TEMPLATES = ("EndEntityCertificate_APIPassthrough/V1",
                         "EndEntityCertificate_APICSRPassthrough/V1")
KNOWN_TEMPLATES = ("EndEntityCertificate/V1", "EndEntityServerAuthCertificate/V1",
                   "EndEntityClientAuthCertificate/V1") + PASSTHROUGH_TEMPLATES

_CA_ARN = re.compile(r"arn:aws:acm-pca:([a-z]{2}(?:-[a-z]+)+-[0-9]):"
                     r"([0-9]{12}):certificate-authority/([0-9a-f-]{36})")

_SUBJECT_OIDS = (
    ("Country", NameOID.COUNTRY_NAME),
    ("State", NameOID.STATE_OR_PROVINCE_NAME),
    ("Locality", NameOID.LOCALITY_NAME),
    ("Organization", NameOID.ORGANIZATION_NAME),
    ("OrganizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("CommonName", NameOID.COMMON_NAME),
    ("SerialNumber", NameOID.SERIAL_NUMBER),
)


def _epoch(dt):
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def _new_key(algorithm):
    if algorithm.startswith("RSA_"):
        args = ["-algorithm", "RSA", "-pkeyopt",
                f"rsa_keygen_bits:{algorithm[4:]}"]
    else:
        curve = {"EC_prime256v1": "P-256", "EC_secp384r1": "P-384"}[algorithm]
        args = ["-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}"]
    pem = subprocess.run(["openssl", "genpkey"] + args, check=True,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    return serialization.load_pem_private_key(pem, None)


def _family(key_or_algorithm):
    if isinstance(key_or_algorithm, str):
        return "RSA" if key_or_algorithm.startswith("RSA") else "EC"
    return "RSA" if isinstance(key_or_algorithm, rsa.RSAPublicKey) else "EC"


def _ca_cert(subject, issuer, public_key, signing_key, not_before, path_len):
    hash_cls = hashes.SHA256
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + datetime.timedelta(
                days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_len),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                public_key), critical=False)
            .sign(signing_key, hash_cls()))


def _make_ca(name, algorithm, account):
    """A root and a subordinate CA of one algorithm, as PEM strings."""
    now = datetime.datetime.utcnow() - datetime.timedelta(days=1)
    root_key = _new_key(algorithm)
    sub_key = _new_key(algorithm)
    root_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acmbridge tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Test Root {name}")])
    sub_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acmbridge tests"),
        x509.NameAttribute(NameOID.COMMON_NAME,
                           f"Test Private CA {name} {account}")])
    root = _ca_cert(root_name, root_name, root_key.public_key(), root_key,
                    now, None)
    sub = _ca_cert(sub_name, root_name, sub_key.public_key(), root_key, now, 0)
    pem = serialization.Encoding.PEM
    return {
        "key": sub_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode(),
        "certificate": sub.public_bytes(pem).decode(),
        "root": root.public_bytes(pem).decode(),
        "created_at": _epoch(now),
    }


class _Authority:
    def __init__(self, name, key_algorithm, signing_algorithm, status, arn):
        self.name = name
        self.key_algorithm = key_algorithm
        self.signing_algorithm = signing_algorithm
        self.status = status
        self.arn = arn
        self.material = None  # set by the generator thread
        self.key = None
        self.cert = None
        self.ready = threading.Event()

    def listing(self):
        return {"name": self.name, "arn": self.arn,
                "key_algorithm": self.key_algorithm,
                "signing_algorithm": self.signing_algorithm,
                "status": self.status}


def _validation(message):
    return ServiceError("ValidationException", message)


def _invalid_args(message):
    return ServiceError("InvalidArgsException", message)


class PcaService:
    """AWS Private CA; see the module comment."""

    def __init__(self, state, account):
        self.judge = ServiceJudge("acm-pca")
        self.state = state
        self.account = account
        self.pending_polls = 0
        self._lock = threading.Lock()
        self.authorities = {}
        for name, alg, sig, status in CAS:
            ca_id = uuid.uuid5(uuid.NAMESPACE_URL,
                               f"acmbridge-test-ca/{account}/{name}")
            arn = (f"arn:aws:acm-pca:{CA_REGION}:{account}:"
                   f"certificate-authority/{ca_id}")
            self.authorities[arn] = _Authority(name, alg, sig, status, arn)
        self._path = os.path.join(state.directory, "pca-cas.json")
        self._started = False
        self.handlers = {
            "DescribeCertificateAuthority": self.describe_ca,
            "IssueCertificate": self.issue_certificate,
            "GetCertificate": self.get_certificate,
            "GetCertificateAuthorityCertificate": self.get_ca_certificate,
        }

    # -- CA material --

    def _start(self):
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._generate, daemon=True).start()

    def _generate(self):
        stored = {}
        if os.path.exists(self._path):
            with open(self._path, encoding="utf-8") as f:
                stored = json.load(f)
        # The slow RSA 4096 pair last: requests wait only for their own CA.
        order = sorted(self.authorities.values(),
                       key=lambda a: a.key_algorithm == "RSA_4096")
        for ca in order:
            if ca.name not in stored:
                stored[ca.name] = _make_ca(ca.name, ca.key_algorithm,
                                           self.account)
            ca.material = stored[ca.name]
            ca.key = serialization.load_pem_private_key(
                ca.material["key"].encode(), None)
            ca.cert = x509.load_pem_x509_certificate(
                ca.material["certificate"].encode())
            ca.ready.set()
        tmp = self._path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(stored, f)
        os.replace(tmp, self._path)

    def _authority(self, arn, region):
        m = _CA_ARN.fullmatch(arn)
        if m is None:
            raise ServiceError("InvalidArnException",
                               f"The ARN '{arn}' is not valid.")
        ca = self.authorities.get(arn)
        self._start()
        if ca is None or m.group(1) != region:
            raise ServiceError("ResourceNotFoundException",
                               f"Could not find certificate authority {arn}.")
        ca.ready.wait()
        return ca

    # -- control API --

    def control(self, method, body):
        """GET /__control/pca lists the CAs (each with "ready" once its keys
        exist; ARNs are known before); POST sets pending_polls for new
        certificates, and with "release": true ends every pending wait. Either starts
        making the CA keys."""
        self._start()
        if method == "POST":
            doc = json.loads(body.decode("utf-8") or "{}")
            n = doc.get("pending_polls")
            if not isinstance(n, int) or n < 0:
                raise ValueError("pending_polls must be a non-negative "
                                 "integer")
            self.pending_polls = n
            if doc.get("release"):
                # Certificates already pending are answered from now on.
                with self.state.transaction() as root:
                    for r in root.setdefault(SECTION, {}).get(
                            "certificates", {}).values():
                        r["pending"] = 0
        issued = self.state.snapshot(SECTION).get("certificates", {})
        return {"certificate_authorities": [
            dict(ca.listing(), ready=ca.material is not None)
            for ca in self.authorities.values()],
            "pending_polls": self.pending_polls,
            "issued": [{"arn": a, "ca_arn": r["ca_arn"],
                        "polls": r["polls"], "pending": r["pending"]}
                       for a, r in issued.items()]}

    # -- operations --

    def describe_ca(self, params, ctx):
        ca = self._authority(params["CertificateAuthorityArn"], ctx.region)
        cert = ca.cert
        return {"CertificateAuthority": {
            "Arn": ca.arn,
            "OwnerAccount": self.account,
            "CreatedAt": ca.material["created_at"],
            "LastStateChangeAt": ca.material["created_at"],
            "Type": "SUBORDINATE",
            "Serial": format(cert.serial_number, "x"),
            "Status": ca.status,
            "NotBefore": _epoch(cert.not_valid_before),
            "NotAfter": _epoch(cert.not_valid_after),
            "CertificateAuthorityConfiguration": {
                "KeyAlgorithm": ca.key_algorithm,
                "SigningAlgorithm": ca.signing_algorithm,
                "Subject": {"Organization": "acmbridge tests",
                            "CommonName": f"Test Private CA {ca.name} "
                                          f"{self.account}"},
            },
            "RevocationConfiguration": {
                "CrlConfiguration": {"Enabled": False},
                "OcspConfiguration": {"Enabled": False}},
            "KeyStorageSecurityStandard": "FIPS_140_2_LEVEL_3_OR_HIGHER",
            "UsageMode": "GENERAL_PURPOSE",
        }}

    def get_ca_certificate(self, params, ctx):
        ca = self._authority(params["CertificateAuthorityArn"], ctx.region)
        if ca.status not in ("ACTIVE", "DISABLED", "EXPIRED"):
            raise ServiceError("InvalidStateException",
                               f"The certificate authority is {ca.status}.")
        return {"Certificate": ca.material["certificate"].strip(),
                "CertificateChain": ca.material["root"].strip()}

    @staticmethod
    def _load_csr(data):
        try:
            text = data.decode("ascii")
            csr = x509.load_pem_x509_csr(text.encode())
        except (UnicodeDecodeError, ValueError):
            raise ServiceError("MalformedCSRException",
                               "The CSR is not a PEM-encoded PKCS#10 "
                               "request.")
        if not csr.is_signature_valid:
            raise ServiceError("MalformedCSRException",
                               "The CSR's signature is not valid.")
        key = csr.public_key()
        if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            raise ServiceError("MalformedCSRException",
                               "The CSR's key algorithm is not supported.")
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
            raise ServiceError("MalformedCSRException",
                               "RSA keys under 2048 bits are not supported.")
        return csr

    @staticmethod
    def _not_after(validity, now):
        kind, value = validity["Type"], validity["Value"]
        if kind == "DAYS":
            return now + datetime.timedelta(days=value)
        if kind == "MONTHS":
            month = now.month - 1 + value
            year = now.year + month // 12
            day = min(now.day, 28)
            return now.replace(year=year, month=month % 12 + 1, day=day)
        if kind == "YEARS":
            day = min(now.day, 28)
            return now.replace(year=now.year + value, day=day)
        if kind == "END_DATE":
            try:
                return datetime.datetime.strptime(str(value), "%Y%m%d%H%M%S")
            except ValueError:
                raise _invalid_args(f"Validity END_DATE value {value} is not "
                                    "YYYYMMDDHHMMSS.")
        return datetime.datetime.utcfromtimestamp(value)  # ABSOLUTE

    @staticmethod
    def _subject(csr, passthrough):
        subject = (passthrough or {}).get("Subject")
        if not subject:
            return csr.subject
        attrs = [x509.NameAttribute(oid, subject[key])
                 for key, oid in _SUBJECT_OIDS if key in subject]
        return x509.Name(attrs)

    @staticmethod
    def _sans(csr, passthrough):
        names = ((passthrough or {}).get("Extensions") or {}).get(
            "SubjectAlternativeNames")
        if names:
            out = []
            for n in names:
                if "DnsName" in n:
                    out.append(x509.DNSName(n["DnsName"]))
                elif "IpAddress" in n:
                    out.append(x509.IPAddress(
                        ipaddress.ip_address(n["IpAddress"])))
                elif "Rfc822Name" in n:
                    out.append(x509.RFC822Name(n["Rfc822Name"]))
                elif "UniformResourceIdentifier" in n:
                    out.append(x509.UniformResourceIdentifier(
                        n["UniformResourceIdentifier"]))
                else:
                    raise _invalid_args("This test endpoint takes DnsName, "
                                        "IpAddress, Rfc822Name and "
                                        "UniformResourceIdentifier names.")
            return out
        try:
            ext = csr.extensions.get_extension_for_class(
                x509.SubjectAlternativeName)
            return list(ext.value)
        except x509.ExtensionNotFound:
            return []

    def _check_template(self, params):
        template = params.get("TemplateArn")
        passthrough = params.get("ApiPassthrough")
        if template is None:
            return None
        if not template.startswith(TEMPLATE_PREFIX) or \
                template[len(TEMPLATE_PREFIX):] not in KNOWN_TEMPLATES:
            raise _invalid_args(f"The template ARN '{template}' is not "
                                "known.")
        if template[len(TEMPLATE_PREFIX):] in PASSTHROUGH_TEMPLATES:
            return passthrough
        return None  # AWS ignores ApiPassthrough without such a template

    def _sign(self, ca, csr, params, now):
        sig = params["SigningAlgorithm"]
        family = "EC" if sig.endswith("ECDSA") else "RSA"
        if family != _family(ca.key_algorithm):
            raise _invalid_args(
                f"The signing algorithm {sig} does not match the "
                f"certificate authority's key algorithm {ca.key_algorithm}.")
        passthrough = self._check_template(params)
        not_after = self._not_after(params["Validity"], now)
        if not_after <= now:
            raise _invalid_args("The validity period ends in the past.")
        if not_after > ca.cert.not_valid_after:
            raise _invalid_args("The validity period ends after the "
                                "certificate authority's certificate "
                                "expires.")
        public_key = csr.public_key()
        is_rsa = isinstance(public_key, rsa.RSAPublicKey)
        builder = (x509.CertificateBuilder()
                   .subject_name(self._subject(csr, passthrough))
                   .issuer_name(ca.cert.subject)
                   .public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=1))
                   .not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=False,
                                                        path_length=None),
                                  critical=True)
                   .add_extension(x509.KeyUsage(
                       digital_signature=True, content_commitment=False,
                       key_encipherment=is_rsa, data_encipherment=False,
                       key_agreement=False, key_cert_sign=False,
                       crl_sign=False, encipher_only=False,
                       decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.SERVER_AUTH,
                        ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                       public_key), critical=False)
                   .add_extension(
                       x509.AuthorityKeyIdentifier.from_issuer_public_key(
                           ca.key.public_key()), critical=False))
        sans = self._sans(csr, passthrough)
        if sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(ca.key, HASHES[sig[:6]]())

    def issue_certificate(self, params, ctx):
        ca = self._authority(params["CertificateAuthorityArn"], ctx.region)
        if ca.status != "ACTIVE":
            raise ServiceError("InvalidStateException",
                               f"The certificate authority {ca.arn} is "
                               f"{ca.status}; it must be ACTIVE to issue "
                               "certificates.")
        csr_bytes = params["Csr"]
        csr = self._load_csr(csr_bytes)
        csr_sha = hashlib.sha256(csr_bytes).hexdigest()
        now_epoch = _epoch(ctx.now)
        token = params.get("IdempotencyToken")
        with self.state.transaction() as root:
            section = root.setdefault(SECTION, {})
            tokens = section.setdefault("tokens", {})
            for k in [k for k, v in tokens.items()
                      if now_epoch - v["time"] > IDEMPOTENCY_SECONDS]:
                del tokens[k]
            token_key = f"{ca.arn} {token}"
            if token is not None and token_key in tokens:
                return {"CertificateArn": tokens[token_key]["arn"]}
            cert = self._sign(ca, csr, params, ctx.now)
            arn = f"{ca.arn}/certificate/{format(cert.serial_number, '032x')}"
            section.setdefault("certificates", {})[arn] = {
                "ca_arn": ca.arn,
                "certificate": cert.public_bytes(
                    serialization.Encoding.PEM).decode(),
                "pending": self.pending_polls,
                "polls": 0,
                "csr_sha256": csr_sha,
                "issued_at": now_epoch,
            }
            if token is not None:
                tokens[token_key] = {"arn": arn, "time": now_epoch}
        return {"CertificateArn": arn}

    def get_certificate(self, params, ctx):
        ca = self._authority(params["CertificateAuthorityArn"], ctx.region)
        arn = params["CertificateArn"]
        with self.state.transaction() as root:
            record = root.setdefault(SECTION, {}).setdefault(
                "certificates", {}).get(arn)
            if record is None or record["ca_arn"] != ca.arn:
                raise ServiceError("ResourceNotFoundException",
                                   f"Could not find certificate {arn}.")
            record["polls"] += 1
            if record["pending"] > 0:
                record["pending"] -= 1
                raise ServiceError("RequestInProgressException",
                                   "The request is still in progress.")
            certificate = record["certificate"]
        return {"Certificate": certificate.strip(),
                "CertificateChain": (ca.material["certificate"].strip() + "\n" +
                                     ca.material["root"].strip())}
