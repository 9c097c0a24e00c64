import { members, type XmlStruct } from './queryResponse.js';
import type { ListenerV2, LoadBalancerV2, TargetGroup } from './resources.js';
import type { ListenerRule, RuleAction, RuleCondition } from './rules.js';
import type { LocalElbStore } from './store.js';

/** The ELBv2 response structures, member for member as botocore's elbv2 model has them. */

/** Route 53 hosted zone ids of ALBs and NLBs in us-east-1 (the local ELB answers the same in every region). */
const HOSTED_ZONE = { application: 'Z35SXDOTRQ7X7K', network: 'Z26RNL4JYFTOTI' } as const;

export function loadBalancerXml(lb: LoadBalancerV2): XmlStruct {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: HOSTED_ZONE[lb.type],
    CreatedTime: lb.createdTime,
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: lb.state(Date.now()) },
    Type: lb.type,
    AvailabilityZones: members(lb.subnets.map((s) => ({ ZoneName: s.zone, SubnetId: s.subnetId, LoadBalancerAddresses: members([]) }))),
    SecurityGroups: lb.type === 'application' || lb.securityGroups.length > 0 ? members(lb.securityGroups) : undefined,
    IpAddressType: lb.ipAddressType,
  };
}

export function actionXml(action: RuleAction): XmlStruct {
  switch (action.type) {
    case 'forward':
      return {
        Type: 'forward',
        // AWS echoes TargetGroupArn only for a forward to a single group.
        TargetGroupArn: action.targetGroups.length === 1 ? action.targetGroups[0]!.targetGroup.arn : undefined,
        Order: action.order,
        ForwardConfig: {
          TargetGroups: members(action.targetGroups.map((t) => ({ TargetGroupArn: t.targetGroup.arn, Weight: t.weight }))),
          TargetGroupStickinessConfig: { Enabled: action.stickiness.enabled, DurationSeconds: action.stickiness.durationSeconds },
        },
      };
    case 'redirect':
      return {
        Type: 'redirect',
        Order: action.order,
        RedirectConfig: { Protocol: action.protocol, Port: action.port, Host: action.host, Path: action.path, Query: action.query, StatusCode: action.statusCode },
      };
    case 'fixed-response':
      return {
        Type: 'fixed-response',
        Order: action.order,
        FixedResponseConfig: { MessageBody: action.messageBody, StatusCode: action.statusCode, ContentType: action.contentType },
      };
  }
}

export function conditionXml(condition: RuleCondition): XmlStruct {
  switch (condition.field) {
    case 'path-pattern':
      return { Field: condition.field, Values: condition.legacy ? members(condition.values) : undefined, PathPatternConfig: { Values: members(condition.values) } };
    case 'host-header':
      return { Field: condition.field, Values: condition.legacy ? members(condition.values) : undefined, HostHeaderConfig: { Values: members(condition.values) } };
    case 'http-header':
      return { Field: condition.field, HttpHeaderConfig: { HttpHeaderName: condition.name, Values: members(condition.values) } };
    case 'http-request-method':
      return { Field: condition.field, HttpRequestMethodConfig: { Values: members(condition.values) } };
    case 'query-string':
      return { Field: condition.field, QueryStringConfig: { Values: members(condition.values.map((v) => ({ Key: v.key, Value: v.value }))) } };
    case 'source-ip':
      return { Field: condition.field, SourceIpConfig: { Values: members(condition.values) } };
  }
}

export function ruleXml(rule: ListenerRule): XmlStruct {
  return {
    RuleArn: rule.arn,
    Priority: rule.priority === undefined ? 'default' : String(rule.priority),
    Conditions: members(rule.conditions.map(conditionXml)),
    Actions: members(rule.actions.map(actionXml)),
    IsDefault: rule.priority === undefined,
  };
}

export function listenerXml(l: ListenerV2): XmlStruct {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancer.arn,
    Port: l.port,
    Protocol: l.protocol,
    DefaultActions: members(l.defaultActions.map(actionXml)),
  };
}

export function targetGroupXml(store: LocalElbStore, tg: TargetGroup): XmlStruct {
  const hc = tg.healthCheck;
  const http = hc.protocol === 'HTTP' || hc.protocol === 'HTTPS';
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: String(hc.port),
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: Math.max(1, Math.round(hc.intervalSeconds)),
    HealthCheckTimeoutSeconds: Math.max(1, Math.round(hc.timeoutSeconds)),
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    HealthCheckPath: http ? hc.path : undefined,
    Matcher: http ? { HttpCode: hc.matcher } : undefined,
    LoadBalancerArns: members(store.loadBalancerArnsOf(tg)),
    TargetType: tg.targetType,
    ProtocolVersion: tg.protocol === 'HTTP' || tg.protocol === 'HTTPS' ? 'HTTP1' : undefined,
    IpAddressType: 'ipv4',
  };
}

export function attributesXml(attributes: ReadonlyMap<string, string>): XmlStruct {
  return { Attributes: members([...attributes].map(([Key, Value]) => ({ Key, Value }))) };
}
