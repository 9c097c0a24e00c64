/** An env var's value, trimmed; undefined when unset or blank (an empty export counts as unset). */
export function envText(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
