/**
 * An AbortSignal that aborts when `parent` does or after `ms`, whichever comes first. (AbortSignal.any needs
 * Node 20.3; the package supports 20.0.) The timer is unref'd and `dispose()` clears it and the parent listener.
 */
export function abortAfter(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), Math.max(0, ms)).unref();
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
