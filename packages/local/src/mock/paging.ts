import { AwsQueryError } from './errors.js';

/**
 * Marker/PageSize paging as the ELB APIs do it: the marker is opaque to clients (here the offset of the next
 * item, base64url-encoded), and NextMarker is absent on the last page.
 */
export function pageOf<T>(items: readonly T[], marker: string | undefined, pageSize: number): { items: T[]; nextMarker: string | undefined } {
  let offset = 0;
  if (marker !== undefined) {
    const decoded = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
    if (!/^\d{1,9}$/.test(decoded)) throw new AwsQueryError('ValidationError', `Invalid Marker '${marker.slice(0, 100)}'`);
    offset = Number(decoded);
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return { items: page, nextMarker: next < items.length ? Buffer.from(String(next), 'utf8').toString('base64url') : undefined };
}
