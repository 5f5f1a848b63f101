"""infra/stateful.yaml as written: who may use the keys, how the bucket is locked, what the alarms watch."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.observability import SERVICE, metrics
from tests.integration.templates import PROD, ROOT, STATEFUL, load_template

CRYPTO = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey", "kms:Sign", "kms:Verify")


@pytest.fixture(scope="module")
def stateful() -> dict[str, Any]:
    return load_template(STATEFUL)


def _alarms(stateful: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in stateful["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_only_the_app_roles_may_use_the_keys_and_the_account_administers_them_without_using_them(stateful):
    for key in ("DataKey", "SealKey"):
        statements = stateful["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]
        for statement in statements:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            uses = [a for a in actions if a.startswith(CRYPTO)]
            if uses:
                role = statement["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
                assert role.endswith(":role/${AppStackName}-*"), key
            assert "kms:*" not in actions, key


def test_the_documents_bucket_is_private_tls_only_versioned_locked_and_kms_encrypted(stateful):
    bucket = stateful["Resources"]["DocumentsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Years"] == {"Ref": "RetentionYears"}
    assert stateful["Parameters"]["RetentionYears"]["Default"] == 7
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert encryption["BucketKeyEnabled"] is True
    policy = stateful["Resources"]["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in policy if s["Effect"] == "Deny"]


def test_every_alarm_notifies_the_alarm_topic(stateful):
    for name, alarm in _alarms(stateful).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


@pytest.mark.parametrize(("alarm", "metric"), [("SmsBudgetWarningAlarm", "SmsBudgetWarning"),
                                                ("SmsBudgetExhaustedAlarm", "SmsBudgetExhausted")])
def test_a_firm_at_80_percent_of_its_sms_budget_or_refused_at_it_raises_an_alarm_within_the_hour(stateful, alarm, metric):
    watched = _alarms(stateful)[alarm]
    # The app's business metrics: Powertools EMF, its namespace and its `service` dimension.
    assert (watched["Namespace"], watched["MetricName"]) == (metrics.namespace, metric)
    assert watched["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    assert (watched["Statistic"], watched["Period"], watched["EvaluationPeriods"]) == ("Sum", 3600, 1)
    assert (watched["Threshold"], watched["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert watched["TreatMissingData"] == "notBreaching"
    # The deployed functions emit under the same names as the code says.
    environment = PROD["environment_variables"]
    assert (environment["POWERTOOLS_METRICS_NAMESPACE"], environment["POWERTOOLS_SERVICE_NAME"]) == (metrics.namespace, SERVICE)


def test_a_time_stamp_pending_for_more_than_an_hour_raises_an_alarm(stateful):
    watched = _alarms(stateful)["PendingTimestampsAlarm"]
    # Each run of the job (every five minutes) reports the age of the oldest pending stamp, 0 for none.
    assert (watched["Namespace"], watched["MetricName"]) == (metrics.namespace, "PendingTimestampMinutes")
    assert watched["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    assert (watched["Statistic"], watched["Period"], watched["EvaluationPeriods"]) == ("Maximum", 300, 2)
    assert (watched["Threshold"], watched["ComparisonOperator"]) == (60, "GreaterThanThreshold")
    # A run that fails reports no age: TimestampRunFailedAlarm reports the failure itself.
    assert watched["TreatMissingData"] == "notBreaching"
    assert watched["OKActions"] == [{"Ref": "AlarmTopic"}], "the operator hears when the stamps caught up"


def test_every_alarm_on_a_business_metric_watches_a_metric_the_app_emits(stateful):
    code = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "chalicelib").rglob("*.py"))
    emitted = set(re.findall(r"""["']([A-Z][A-Za-z]+)["']""", code))
    watched = {a["MetricName"] for a in _alarms(stateful).values() if a.get("Namespace") == metrics.namespace}
    assert {"SmsBudgetWarning", "SmsBudgetExhausted", "PendingTimestampMinutes"} <= watched
    assert watched <= emitted, f"no code emits {sorted(watched - emitted)}"
