import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The library's DEFAULTS, read from its build as an app would import them (the bench runs beside the library). */
export async function libraryDefaults(libraryRoot: string): Promise<{ quietMs: number }> {
  const library = (await import(pathToFileURL(join(libraryRoot, 'dist', 'index.js')).href)) as { DEFAULTS: { quietMs: number } };
  return library.DEFAULTS;
}
