#!/bin/bash
# Seeds for fuzz-aws-xml: STS answers of each shape the client reads.
set -euo pipefail
d=${1:?corpus dir}
mkdir -p "$d"
ns='xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'
printf '<AssumeRoleResponse %s>\n  <AssumeRoleResult>\n    <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>\n    <Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>a/b+c</SecretAccessKey><SessionToken>t&amp;&#x41;&#66;</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>\n  </AssumeRoleResult>\n  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>\n</AssumeRoleResponse>\n' "$ns" >"$d/assume-role.xml"
printf '<?xml version="1.0"?>\n<ErrorResponse %s><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no &lt;way&gt;</Message></Error><RequestId>x</RequestId></ErrorResponse>\n' "$ns" >"$d/error.xml"
printf '<a><!-- c --><b><![CDATA[<x>]]></b><c/></a>' >"$d/cdata.xml"
