import { XMLBuilder } from 'fast-xml-parser';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AwsQueryError } from './errors.js';

/** The XML namespace an API puts on every response, with its version (Auto Scaling's is its own). */
export function namespaceOf(version: string): string {
  const service = version === '2011-01-01' ? 'autoscaling' : 'elasticloadbalancing';
  return `http://${service}.amazonaws.com/doc/${version}/`;
}

/** A value of an XML response body: scalars, nested structs, and lists built with `members()`. */
export type XmlValue = string | number | boolean | Date | undefined | XmlStruct | XmlValue[];
export interface XmlStruct {
  [element: string]: XmlValue;
}

/** AWS Query lists are `<Name><member>…</member>…</Name>`; an empty list is still an (empty) element. */
export function members(items: readonly XmlValue[]): XmlStruct {
  return { member: items.map(toXmlReady) as XmlValue[] };
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

export function newRequestId(): string {
  return randomUUID();
}

/**
 * `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId/></ResponseMetadata></OpResponse>`.
 * The Result element is always written, even empty: the AWS CLI fails without it (the JS SDK would not notice).
 */
export function successBody(action: string, version: string, result: XmlStruct, requestId: string): string {
  return builder.build({
    [`${action}Response`]: {
      '@_xmlns': namespaceOf(version),
      [`${action}Result`]: toXmlReady(result),
      ResponseMetadata: { RequestId: requestId },
    },
  }) as string;
}

/** `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`: never an empty body. */
export function errorBody(error: AwsQueryError, version: string | undefined, requestId: string): string {
  return builder.build({
    ErrorResponse: {
      '@_xmlns': namespaceOf(version ?? '2012-06-01'),
      Error: { Type: error.faultType, Code: error.awsCode, Message: error.message },
      RequestId: requestId,
    },
  }) as string;
}

/** Writes an XML answer with the headers the clients read (the JS SDK takes the request id only from the header). */
export function sendXml(res: ServerResponse, status: number, body: string, requestId: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...extraHeaders,
  });
  res.end(body);
}

/** Dates as AWS writes them (ISO 8601 with milliseconds, UTC); undefined members are left out. */
function toXmlReady(value: XmlValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toXmlReady);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = toXmlReady(member);
    return out;
  }
  return value;
}
