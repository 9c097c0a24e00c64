import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { localPackageRoot } from '../packageRoots.js';

/** The live page's files (packages/local/static/live), by the path they are served at under /_local/. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/_local/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_local/live.js': { file: 'live.js', type: 'text/javascript; charset=utf-8' },
  '/_local/live.css': { file: 'live.css', type: 'text/css; charset=utf-8' },
};

/**
 * Serves the live page: a static HTML page with its script and stylesheet, read from the package on first use and
 * kept (no import-time reads). Only the three known paths are served; the page's data comes from /_local/events.
 * The CSP allows nothing from elsewhere, so text from the API can never load or run anything.
 */
export class LivePage {
  readonly #cache = new Map<string, Buffer>();

  /** Whether `path` is one of the page's own paths (the caller routes the rest). */
  serves(path: string): boolean {
    return path === '/_local' || Object.hasOwn(ASSETS, path);
  }

  handle(path: string, res: ServerResponse): void {
    if (path === '/_local') {
      // Relative URLs (live.js, events) resolve under /_local/ only with the trailing slash.
      res.writeHead(308, { location: '/_local/' }).end();
      return;
    }
    const asset = ASSETS[path];
    if (!asset) {
      res.writeHead(404).end();
      return;
    }
    let body = this.#cache.get(asset.file);
    if (!body) {
      body = readFileSync(join(localPackageRoot(), 'static', 'live', asset.file));
      this.#cache.set(asset.file, body);
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  }
}
