"""Service models from the project's reference copy (the newest published
botocore models, ../shared/reference/aws-models from the project root),
falling back to the models of Debian's python3-botocore when the copy is not
there. Debian's botocore predates fields that STS, SSO and SSO-OIDC have
today."""

import json
import os

import botocore.model

from model import ServiceJudge

_HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE_DIRS = (
    os.path.join(_HERE, "..", "..", "..", "shared", "reference", "aws-models"),
    os.path.join(_HERE, "..", "..", "..", "..", "shared", "reference", "aws-models"),
    "/work/shared/reference/aws-models",
)


def reference_model_path(service_name, api_version):
    for d in REFERENCE_DIRS:
        path = os.path.join(d, service_name, api_version, "service-2.json")
        if os.path.isfile(path):
            return os.path.normpath(path)
    return None


class ReferenceJudge(ServiceJudge):
    """ServiceJudge over the reference model of service_name."""

    def __init__(self, service_name, api_version):
        path = reference_model_path(service_name, api_version)
        if path is None:
            super().__init__(service_name)
            self.model_source = "botocore"
            return
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.model = botocore.model.ServiceModel(data, service_name)
        self.target_prefix = self.model.metadata.get("targetPrefix")
        self.signing_name = self.model.metadata.get(
            "signingName", self.model.endpoint_prefix)
        self._patterns = {}
        self.model_source = path
