/** "exited with code 1" / "was killed by SIGKILL", as Node reports a child's end. */
export function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
