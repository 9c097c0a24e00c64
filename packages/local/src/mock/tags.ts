import { AwsQueryError } from './errors.js';
import type { QueryRequest } from './queryRequest.js';

/** AWS allows this many user tags per load balancer, target group, listener or rule. */
export const MAX_TAGS_PER_RESOURCE = 50;

export interface Tag {
  key: string;
  value: string;
}

/** Reads `Tags.member.N.{Key,Value}` with AWS's limits (key 1–128, value 0–256, no `aws:` prefix, no duplicate keys). */
export function readTags(params: QueryRequest, name = 'Tags', rules: { required?: boolean } = {}): Tag[] | undefined {
  const tags = params.structList(name, (item) => ({ key: item.string('Key', { required: true, minLength: 1, maxLength: 128, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u }), value: item.string('Value', { maxLength: 256 }) ?? '' }), rules);
  if (!tags) return undefined;
  const keys = tags.map((t) => t.key);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate !== undefined) throw new AwsQueryError('DuplicateTagKeys', `Tag key '${duplicate}' is given more than once`);
  const reserved = keys.find((k) => k.toLowerCase().startsWith('aws:'));
  if (reserved !== undefined) throw new AwsQueryError('ValidationError', `Tag key '${reserved}' is reserved: keys starting with 'aws:' are for AWS use`);
  return tags;
}

/** Adds or overwrites tags; all or nothing (TooManyTags leaves the resource as it was). */
export function addTags(current: Map<string, string>, tags: readonly Tag[]): void {
  const after = new Set([...current.keys(), ...tags.map((t) => t.key)]);
  if (after.size > MAX_TAGS_PER_RESOURCE) throw new AwsQueryError('TooManyTags', `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags`);
  for (const { key, value } of tags) current.set(key, value);
}

export function tagList(tags: Map<string, string>): Array<{ Key: string; Value: string }> {
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}
