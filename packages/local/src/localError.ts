/**
 * The base of every error the local ELB and the demo throw: a stable `code` to branch on, a message for people,
 * and the underlying error as `cause`. This package does not import the library (it is a stand-in for AWS, and a
 * library user's devDependency), so it has its own base class; the codes keep the library's `ERR_GRACEFUL_ELB_` prefix.
 */
export class GracefulElbLocalError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Renders a bad value for an error message without dumping whole objects into it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'function' ? 'a function' : 'an object';
}
