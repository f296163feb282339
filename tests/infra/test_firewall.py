"""AWS WAF in front of the stage: AWS's managed rules and a rate limit per source address."""

from __future__ import annotations

from infra.constructs.waf import RATE_LIMIT_PER_5_MIN


def test_a_regional_web_acl_with_the_managed_rule_groups_and_a_rate_limit_guards_the_stage(synthesised):
    ((acl_id, acl),) = synthesised.properties("AWS::WAFv2::WebACL").items()
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    managed = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]: rule
        for rule in acl["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert set(managed) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    assert all(rule["OverrideAction"] == {"None": {}} for rule in managed.values())  # they block
    # The API takes bodies up to 256 KiB and refuses larger ones itself; WAF's 8 KB rule only counts.
    common = managed["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    (rate,) = [rule for rule in acl["Rules"] if "RateBasedStatement" in rule["Statement"]]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {"Limit": RATE_LIMIT_PER_5_MIN, "AggregateKeyType": "IP"}
    assert len({rule["Priority"] for rule in acl["Rules"]}) == len(acl["Rules"])
    assert all(rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] for rule in acl["Rules"])

    (association,) = synthesised.properties("AWS::WAFv2::WebACLAssociation").values()
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (stage_id,) = synthesised.resources("AWS::ApiGateway::Stage")
    assert synthesised.refers_to(association["ResourceArn"], stage_id)
