"""Judging request bodies against botocore's own service model.

A JSON 1.1 body is first checked for JSON types and base64 blobs are decoded
to bytes per the shapes (as the service's deserializer would); botocore's
ParamValidator then judges required and unknown members, types and minimums;
the constraints ParamValidator leaves out (maximum lengths and values, enums,
patterns) are judged here. Errors read like AWS's own ValidationException:
"1 validation error detected: Value ... at 'certificateArn' failed to satisfy
constraint: ...". The member paths use AWS's lowerCamel.index.member form."""

import base64
import binascii
import datetime
import json
import os
import re
import sys
import unicodedata

import botocore.loaders
import botocore.model
from botocore.validate import ParamValidator

from awserror import ServiceError

# Operations newer than Debian's botocore (1.29, 2022), with the shapes they
# reach, taken from the newest published model (models/SERVICE-newest.json,
# made by extract_operations() below). Their shapes replace botocore's of the
# same name, as the newest model defines them.
NEWEST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "models")

# Characters of a private-use range stand for Unicode categories, because
# Python's re has no \p{..}: each input character of category L, Z or N is
# mapped to its stand-in before the translated pattern is matched.
_CATEGORY_STAND_INS = {"L": "\ue000", "Z": "\ue001", "N": "\ue002"}


def _lower_camel(name):
    return name[:1].lower() + name[1:]


class _Pattern:
    def __init__(self, java_pattern):
        self.source = java_pattern
        self.uses_categories = "\\p{" in java_pattern
        translated = java_pattern
        for cat, stand_in in _CATEGORY_STAND_INS.items():
            translated = translated.replace("\\p{%s}" % cat, stand_in)
        # Java's \w and \d are ASCII-only; Python's are not unless told.
        self._re = re.compile(translated, re.ASCII)

    def matches(self, value):
        if self.uses_categories:
            value = "".join(
                _CATEGORY_STAND_INS.get(unicodedata.category(c)[0], c)
                for c in value)
        return self._re.fullmatch(value) is not None


class ServiceJudge:
    """The model of one service (e.g. "acm") and the judging of its input."""

    def __init__(self, service_name):
        loader = botocore.loaders.create_loader()
        data = loader.load_service_model(service_name, "service-2")
        data = merge_newest(data, os.path.join(NEWEST_DIR,
                                               f"{service_name}-newest.json"))
        self.model = botocore.model.ServiceModel(data, service_name)
        self.target_prefix = self.model.metadata["targetPrefix"]
        self.signing_name = self.model.metadata.get(
            "signingName", self.model.endpoint_prefix)
        self._patterns = {}

    def operation(self, name):
        """Returns the OperationModel or raises UnknownOperationException."""
        if name not in self.model.operation_names:
            raise ServiceError(
                "UnknownOperationException",
                f"Operation {self.target_prefix}.{name} is not known.")
        return self.model.operation_model(name)

    def error_message_key(self, code):
        """"Message" or "message", as the model spells the error shape."""
        try:
            shape = self.model.shape_for(code)
        except Exception:
            return "message"
        members = getattr(shape, "members", {})
        return "Message" if "Message" in members else "message"

    def error(self, code, message, status=400):
        return ServiceError(code, message, status=status,
                            message_key=self.error_message_key(code))

    def parse_input(self, operation_model, body):
        """Returns the decoded params (blobs as bytes) of a JSON 1.1 body,
        or raises SerializationException / ValidationException."""
        if body.strip() == b"":
            document = {}
        else:
            try:
                document = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise ServiceError("SerializationException",
                                   f"Request body is not valid JSON: {e}")
        shape = operation_model.input_shape
        if shape is None:
            if document not in ({}, None):
                raise self.error("ValidationException",
                                 "This operation takes no input members.")
            return {}
        if not isinstance(document, dict):
            raise ServiceError("SerializationException",
                               "Request body must be a JSON object.")
        errors = []
        params = self._decode(document, shape, "", errors)
        if errors:
            raise ServiceError("SerializationException", errors[0])
        violations = self._botocore_violations(params, shape)
        if not violations:
            self._constraints(params, shape, "", violations)
        if violations:
            n = len(violations)
            noun = "error" if n == 1 else "errors"
            raise self.error(
                "ValidationException",
                f"{n} validation {noun} detected: " + "; ".join(violations))
        return params

    def _decode(self, value, shape, path, errors):
        """JSON types per shape, base64 blobs to bytes. JSON null members
        are dropped as AWS's deserializers do."""
        kind = shape.type_name
        where = path or "the request"
        if kind == "structure":
            if not isinstance(value, dict):
                errors.append(f"Expected an object at '{where}'.")
                return value
            out = {}
            for k, v in value.items():
                if v is None:
                    continue
                member = shape.members.get(k)
                if member is None:
                    out[k] = v  # ParamValidator names unknown members.
                    continue
                out[k] = self._decode(v, member, _join(path, k), errors)
            return out
        if kind == "list":
            if not isinstance(value, list):
                errors.append(f"Expected a list at '{where}'.")
                return value
            return [self._decode(v, shape.member, f"{path}[{i}]", errors)
                    for i, v in enumerate(value)]
        if kind == "map":
            if not isinstance(value, dict):
                errors.append(f"Expected an object at '{where}'.")
                return value
            return {k: self._decode(v, shape.value, f"{path}.{k}", errors)
                    for k, v in value.items()}
        if kind == "blob":
            if not isinstance(value, str):
                errors.append(f"Expected a base64 string at '{where}'.")
                return value
            try:
                return base64.b64decode(value.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                errors.append(f"Value at '{where}' is not valid base64.")
                return value
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(f"Expected an integer at '{where}'.")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                errors.append(f"Expected a boolean at '{where}'.")
            return value
        if kind == "string":
            if not isinstance(value, str):
                errors.append(f"Expected a string at '{where}'.")
            return value
        if kind == "timestamp":
            # JSON 1.1 sends epoch seconds; ParamValidator wants datetimes.
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append(f"Expected epoch seconds at '{where}'.")
                return value
            try:
                return datetime.datetime.fromtimestamp(
                    value, datetime.timezone.utc)
            except (OverflowError, OSError, ValueError):
                errors.append(f"Value at '{where}' is not a valid time.")
                return value
        return value

    def _botocore_violations(self, params, shape):
        report = ParamValidator().validate(params, shape)
        out = []
        for reason, name, extra in report._errors:
            at = _aws_path(name)
            if reason == "missing required field":
                req = _join(name, extra["required_name"])
                out.append(f"Value null at '{_aws_path(req)}' failed to "
                           "satisfy constraint: Member must not be null")
            elif reason == "unknown field":
                out.append(f"Unknown member '{extra['unknown_param']}' at "
                           f"'{at or 'the request'}': valid members are "
                           + ", ".join(extra["valid_names"]))
            elif reason in ("more than one input", "empty input"):
                out.append(f"Value at '{at or 'the request'}' failed to "
                           "satisfy constraint: Member must have exactly "
                           "one of: " + ", ".join(extra["members"]))
            elif reason in ("invalid length", "invalid range"):
                what = "length" if reason == "invalid length" else "value"
                out.append(f"Value {_render(extra.get('param'))} at '{at}' "
                           "failed to satisfy constraint: Member must have "
                           f"{what} greater than or equal to "
                           f"{extra['min_allowed']}")
            else:
                out.append(f"Value at '{at}' failed to satisfy constraint: "
                           f"{reason}")
        return out

    def _constraints(self, value, shape, path, out):
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            for k, v in value.items():
                self._constraints(v, shape.members[k], _join(path, k), out)
            return
        if kind == "list":
            if "max" in meta and len(value) > meta["max"]:
                out.append(f"Value {_render(value)} at '{_aws_path(path)}' "
                           "failed to satisfy constraint: Member must have "
                           f"length less than or equal to {meta['max']}")
            for i, v in enumerate(value):
                self._constraints(v, shape.member, f"{path}[{i}]", out)
            return
        if kind == "map":
            for k, v in value.items():
                self._constraints(v, shape.value, f"{path}.{k}", out)
            return
        at = _aws_path(path)
        if kind in ("string", "blob"):
            if "max" in meta and len(value) > meta["max"]:
                out.append(f"Value {_render(value, shape)} at '{at}' failed "
                           "to satisfy constraint: Member must have length "
                           f"less than or equal to {meta['max']}")
        if kind in ("integer", "long") and "max" in meta and value > meta["max"]:
            out.append(f"Value '{value}' at '{at}' failed to satisfy "
                       "constraint: Member must have value less than or "
                       f"equal to {meta['max']}")
        if kind == "string" and shape.enum and value not in shape.enum:
            out.append(f"Value {_render(value, shape)} at '{at}' failed to "
                       "satisfy constraint: Member must satisfy enum value "
                       "set: [" + ", ".join(shape.enum) + "]")
        if kind == "string" and "pattern" in meta:
            pattern = self._patterns.get(meta["pattern"])
            if pattern is None:
                pattern = _Pattern(meta["pattern"])
                self._patterns[meta["pattern"]] = pattern
            if not pattern.matches(value):
                out.append(f"Value {_render(value, shape)} at '{at}' failed "
                           "to satisfy constraint: Member must satisfy "
                           f"regular expression pattern: {meta['pattern']}")


def _join(path, member):
    return f"{path}.{member}" if path else member


def _aws_path(botocore_path):
    """Tags[0].Key -> tags.1.member.key, as AWS names members."""
    parts = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", botocore_path):
        if piece.startswith("["):
            parts.append(f"{int(piece[1:-1]) + 1}.member")
        else:
            parts.append(_lower_camel(piece))
    return ".".join(parts)


def _render(value, shape=None):
    """A value as AWS quotes it in messages; never the bytes of a blob and
    never a sensitive string, so a private key cannot leak into an error."""
    if isinstance(value, (bytes, bytearray)):
        return f"'java.nio.HeapByteBuffer[pos=0 lim={len(value)} " \
               f"cap={len(value)}]'"
    if shape is not None and shape.metadata.get("sensitive"):
        return "'***'"
    if isinstance(value, str) and len(value) > 256:
        value = value[:256] + "..."
    return f"'{value}'"


def merge_newest(data, path):
    """Adds the operations of a models/SERVICE-newest.json file (when there
    is one) to botocore's model data, with their shapes."""
    if not os.path.exists(path):
        return data
    with open(path, encoding="utf-8") as f:
        newest = json.load(f)
    data = dict(data)
    data["operations"] = dict(data["operations"])
    data["shapes"] = dict(data["shapes"])
    for name, op in newest["operations"].items():
        data["operations"].setdefault(name, op)
    data["shapes"].update(newest["shapes"])
    return data


def extract_operations(model, names):
    """The operations `names` of a service model (dict) and every shape they
    reach, without documentation: what models/SERVICE-newest.json holds."""
    shapes = model["shapes"]
    seen = []

    def walk(name):
        if name in seen:
            return
        seen.append(name)
        shape = shapes[name]
        for member in shape.get("members", {}).values():
            walk(member["shape"])
        for key in ("member", "key", "value"):
            if key in shape:
                walk(shape[key]["shape"])

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "documentation"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    for name in names:
        op = model["operations"][name]
        walk(op["input"]["shape"])
        walk(op["output"]["shape"])
        for e in op.get("errors", []):
            walk(e["shape"])
    return {"operations": {n: strip(model["operations"][n]) for n in names},
            "shapes": {n: strip(shapes[n]) for n in sorted(seen)}}


if __name__ == "__main__":
    # model.py --extract SERVICE-2.JSON OPERATION...: prints the subset.
    if len(sys.argv) < 4 or sys.argv[1] != "--extract":
        sys.exit("usage: model.py --extract SERVICE-2.JSON OPERATION...")
    with open(sys.argv[2], encoding="utf-8") as f:
        subset = extract_operations(json.load(f), sys.argv[3:])
    subset["_source"] = (
        ", ".join(sys.argv[3:]) + " and the shapes they reach, "
        "documentation left out, from the newest published botocore model "
        "(botocore commit 0e6e2404b, 2026-08-07; Apache-2.0). Regenerate "
        "with: tests/endpoint/model.py --extract " + sys.argv[2] + " "
        + " ".join(sys.argv[3:]))
    json.dump(subset, sys.stdout, indent=1, sort_keys=True)
    print()
