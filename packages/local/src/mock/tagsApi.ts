import { AwsQueryError } from './errors.js';
import type { ActionHandler } from './classicApi.js';
import type { QueryRequest } from './queryRequest.js';
import { members } from './queryResponse.js';
import type { LocalElbStore } from './store.js';
import { addTags, readTags, tagList } from './tags.js';

/** AddTags / RemoveTags / DescribeTags of ELBv2: balancers, target groups, listeners and rules, by ARN. */
export function v2TagActions(store: LocalElbStore): Record<string, ActionHandler> {
  const tagsOf = (arn: string): Map<string, string> => {
    if (arn.includes(':loadbalancer/')) return store.getLoadBalancer(arn).tags;
    if (arn.includes(':targetgroup/')) return store.getTargetGroup(arn).tags;
    if (arn.includes(':listener-rule/')) return store.findRule(arn).rule.tags;
    if (arn.includes(':listener/')) return store.getListener(arn).tags;
    throw new AwsQueryError('ValidationError', `'${arn.slice(0, 200)}' is not the ARN of a load balancer, target group, listener or rule`);
  };
  return {
    AddTags(params) {
      const arns = params.stringList('ResourceArns', { required: true, maxItems: 20 });
      const tags = readTags(params, 'Tags', { required: true })!;
      // Resolve every ARN first: an unknown one leaves all resources untouched.
      const targets = arns.map(tagsOf);
      for (const target of targets) addTags(new Map(target), tags);
      for (const target of targets) addTags(target, tags);
      return {};
    },
    RemoveTags(params) {
      const arns = params.stringList('ResourceArns', { required: true, maxItems: 20 });
      const keys = params.stringList('TagKeys', { required: true });
      const targets = arns.map(tagsOf);
      for (const target of targets) for (const key of keys) target.delete(key);
      return {};
    },
    DescribeTags(params) {
      const arns = params.stringList('ResourceArns', { required: true, maxItems: 20 });
      return { TagDescriptions: members(arns.map((arn) => ({ ResourceArn: arn, Tags: members(tagList(tagsOf(arn))) }))) };
    },
  };
}

/** AddTags / RemoveTags / DescribeTags of the Classic API, by balancer name. */
export function classicTagActions(store: LocalElbStore): Record<string, ActionHandler> {
  const names = (params: QueryRequest, maxItems: number): string[] => {
    const list = params.stringList('LoadBalancerNames', { required: true, maxItems });
    if (list.length === 0) throw params.invalid('LoadBalancerNames', null, 'Member must have length greater than or equal to 1');
    return list;
  };
  return {
    AddTags(params) {
      // "You can specify one load balancer only." (API_AddTags, 2012-06-01)
      const lbs = names(params, 1).map((name) => store.getClassic(name));
      const tags = readTags(params, 'Tags', { required: true })!;
      if (tags.length === 0) throw params.invalid('Tags', null, 'Member must have length greater than or equal to 1');
      for (const lb of lbs) addTags(lb.tags, tags);
      return {};
    },
    RemoveTags(params) {
      const lbs = names(params, 1).map((name) => store.getClassic(name));
      const keys = params.structList('Tags', (t) => t.string('Key', { required: true, minLength: 1, maxLength: 128 }), { required: true });
      for (const lb of lbs) for (const key of keys) lb.tags.delete(key);
      return {};
    },
    DescribeTags(params) {
      const lbs = names(params, 20).map((name) => store.getClassic(name));
      return { TagDescriptions: members(lbs.map((lb) => ({ LoadBalancerName: lb.name, Tags: members(tagList(lb.tags)) }))) };
    },
  };
}
