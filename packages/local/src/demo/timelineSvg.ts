import { phaseSpans, type PhaseSpan } from './instancePhases.js';
import { perInstance, type DemoReport } from './report.js';

/**
 * Renders the run as one self-contained SVG (no scripts, fonts or links): a lane of total traffic with failures
 * in red, then one lane per instance with the requests it served per bucket and its phases shaded.
 * Hand-written: a few dozen rectangles need no charting library.
 */

const WIDTH = 1100;
const LEFT = 170;
const RIGHT = 24;
const TOTAL_LANE = 110;
const LANE = 64;
const LANE_GAP = 10;
const TOP = 92;
const AXIS = 48;

const COLORS = {
  ok: '#2e7d32',
  failed: '#d32f2f',
  served: '#43a047',
  leaving: '#ffe082',
  draining: '#ffb74d',
  'routed-while-down': '#ef9a9a',
  down: '#bdbdbd',
  rejoining: '#90caf9',
  badRevision: '#ce93d8',
  grid: '#e0e0e0',
  text: '#212121',
  muted: '#616161',
} as const;

const PHASE_LABELS: Record<PhaseSpan['phase'], string> = {
  leaving: 'leaving (balancer still routing)',
  draining: 'draining (no new requests)',
  'routed-while-down': 'stopped, balancer still routing',
  down: 'down (restarting)',
  rejoining: 'rejoining (health checks)',
};

export function renderTimelineSvg(report: DemoReport): string {
  const { traffic } = report;
  const instances = report.instances;
  const totalMs = Math.max(traffic.durationMs, traffic.buckets.length * traffic.bucketMs, 1);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (ms: number): number => LEFT + (Math.min(Math.max(ms, 0), totalMs) / totalMs) * plotWidth;
  const bucketWidth = Math.max(1, (traffic.bucketMs / totalMs) * plotWidth - 1);
  const height = TOP + TOTAL_LANE + LANE_GAP + instances.length * (LANE + LANE_GAP) + AXIS;
  const parts: string[] = [];

  const maxTotal = Math.max(1, ...traffic.buckets.map((b) => b.ok + b.non2xx + b.errors));
  const counts = (b: (typeof traffic.buckets)[number]): Readonly<Record<string, number>> => perInstance(b, traffic.attribution);
  const maxServed = Math.max(1, ...traffic.buckets.flatMap((b) => Object.values(counts(b))));

  const servedWord = traffic.attribution === 'response header' ? 'served (2xx)' : 'routed here by the balancer';
  const t = traffic.totals;
  const failed = report.failedRequests;
  parts.push(
    text(LEFT, 28, `graceful-elb-local demo · ${report.scenario} · ${report.mode} · ${report.settings.strategy} · ${report.settings.instances} instances · ${report.settings.ratePerSecond} req/s`, {
      size: 17,
      weight: 'bold',
    }),
    text(
      LEFT,
      50,
      `${fmt(t.sent)} requests · ${fmt(t.ok)} 2xx · ${fmt(failed)} failed (${fmt(t.non2xx)} non-2xx, ${fmt(t.errors)} errors) · deployment ${report.deployment.status} in ${((report.deployment.endedAt - report.deployment.startedAt) / 1000).toFixed(1)} s`,
      { size: 13, fill: failed > 0 ? COLORS.failed : COLORS.muted },
    ),
  );
  parts.push(...legend(LEFT, 70));

  // Deployment window.
  const depFrom = x(report.deployment.startedAt);
  const depTo = x(report.deployment.endedAt);
  const plotBottom = height - AXIS;
  parts.push(
    `<line x1="${n(depFrom)}" y1="${TOP - 6}" x2="${n(depFrom)}" y2="${plotBottom}" stroke="${COLORS.muted}" stroke-dasharray="4 3"/>`,
    `<line x1="${n(depTo)}" y1="${TOP - 6}" x2="${n(depTo)}" y2="${plotBottom}" stroke="${COLORS.muted}" stroke-dasharray="4 3"/>`,
    text(depFrom, plotBottom + 30, 'deployment starts', { size: 10, fill: COLORS.muted, anchor: 'middle' }),
    text(depTo, plotBottom + 30, 'ends', { size: 10, fill: COLORS.muted, anchor: 'middle' }),
  );

  // Total traffic lane.
  const laneTop = TOP;
  parts.push(laneFrame(laneTop, TOTAL_LANE, 'all requests', `answered per ${traffic.bucketMs / 1000} s`));
  for (const b of traffic.buckets) {
    const okHeight = (b.ok / maxTotal) * (TOTAL_LANE - 14);
    const badHeight = ((b.non2xx + b.errors) / maxTotal) * (TOTAL_LANE - 14);
    const bx = x(b.startMs);
    const base = laneTop + TOTAL_LANE;
    if (okHeight > 0) parts.push(rect(bx, base - okHeight, bucketWidth, okHeight, COLORS.ok));
    const bad = b.non2xx + b.errors;
    if (bad > 0) {
      const h = Math.max(badHeight, 3);
      parts.push(rect(bx, base - okHeight - h, bucketWidth, h, COLORS.failed, `${bad} failed`));
      // The count sits just above the lane so it stays readable however tall the bar is.
      parts.push(text(bx + bucketWidth / 2, laneTop - 3, String(bad), { size: 10, fill: COLORS.failed, anchor: 'middle', weight: 'bold' }));
    }
  }

  // One lane per instance.
  instances.forEach((inst, i) => {
    const top = TOP + TOTAL_LANE + LANE_GAP + i * (LANE + LANE_GAP);
    const sub =
      inst.rollback !== undefined
        ? `${inst.status}, rollback ${inst.rollback.status}`
        : inst.status === 'Succeeded'
          ? `cycle ${seconds(inst.durations.cycleMs)}`
          : inst.status;
    parts.push(laneFrame(top, LANE, inst.instanceId, sub));
    for (const span of phaseSpans(inst.moments)) {
      const fill = span.phase === 'routed-while-down' ? 'url(#routed-while-down)' : COLORS[span.phase];
      parts.push(rect(x(span.from), top, Math.max(2, x(span.to) - x(span.from)), LANE, fill, PHASE_LABELS[span.phase]));
    }
    const bad = inst.badRevision;
    if (bad) {
      const label = `bad revision running: ${bad.routed ? 'ROUTED TO by the balancer' : 'never routed to'}, served ${bad.served}`;
      parts.push(rect(x(bad.from), top, Math.max(2, x(bad.to) - x(bad.from)), LANE, COLORS.badRevision, label));
      parts.push(text((x(bad.from) + x(bad.to)) / 2, top + 14, bad.routed || bad.served > 0 ? 'bad revision: got traffic' : 'bad revision: no traffic', { size: 10, anchor: 'middle', fill: COLORS.text }));
    }
    for (const b of traffic.buckets) {
      const served = counts(b)[inst.instanceId] ?? 0;
      if (served === 0) continue;
      const h = (served / maxServed) * (LANE - 6);
      parts.push(rect(x(b.startMs), top + LANE - h, bucketWidth, h, COLORS.served, `${served} ${servedWord}`));
    }
    const signal = inst.moments.signalAt;
    if (signal !== undefined) {
      parts.push(`<path d="M${n(x(signal) - 4)},${top - 1} h8 l-4,6 z" fill="${COLORS.text}"><title>signal (ApplicationStop)</title></path>`);
    }
    const back = inst.moments.inServiceAt;
    if (back !== undefined) {
      parts.push(`<path d="M${n(x(back) - 4)},${top + LANE + 1} h8 l-4,-6 z" fill="#1565c0"><title>back in service</title></path>`);
    }
  });

  // Time axis.
  const step = niceStep(totalMs / 1000);
  parts.push(`<line x1="${LEFT}" y1="${plotBottom}" x2="${WIDTH - RIGHT}" y2="${plotBottom}" stroke="${COLORS.muted}"/>`);
  for (let s = 0; s * 1000 <= totalMs; s += step) {
    const gx = x(s * 1000);
    parts.push(
      `<line x1="${n(gx)}" y1="${TOP}" x2="${n(gx)}" y2="${plotBottom}" stroke="${COLORS.grid}" stroke-width="0.5"/>`,
      text(gx, plotBottom + 16, `${s} s`, { size: 10, fill: COLORS.muted, anchor: 'middle' }),
    );
  }
  parts.push(text(LEFT, plotBottom + 44, `measured ${report.startedAt.slice(0, 10)} on ${report.machine.cpuCount} × ${report.machine.cpuModel}, Node ${report.machine.node}`, { size: 10, fill: COLORS.muted }));

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>graceful-elb-local demo timeline (${escapeXml(report.mode)})</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<defs><pattern id="routed-while-down" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="6" height="6" fill="${COLORS['routed-while-down']}"/><rect width="2.5" height="6" fill="${COLORS.failed}"/></pattern></defs>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');

  function laneFrame(top: number, laneHeight: number, label: string, sub: string): string {
    return [
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${laneHeight}" fill="#fafafa" stroke="${COLORS.grid}"/>`,
      text(LEFT - 10, top + laneHeight / 2 - 2, label, { size: 12, anchor: 'end', weight: 'bold' }),
      text(LEFT - 10, top + laneHeight / 2 + 13, sub, { size: 10, anchor: 'end', fill: COLORS.muted }),
    ].join('\n');
  }
}

function legend(x0: number, y: number): string[] {
  const items: Array<[string, string]> = [
    [COLORS.ok, '2xx'],
    [COLORS.failed, 'failed'],
    [COLORS.served, 'requests per instance'],
    [COLORS.leaving, 'leaving'],
    [COLORS.draining, 'draining'],
    ['url(#routed-while-down)', 'stopped, still routed'],
    [COLORS.down, 'down'],
    [COLORS.rejoining, 'rejoining'],
  ];
  const out: string[] = [];
  let x = x0;
  for (const [color, label] of items) {
    out.push(rect(x, y - 9, 11, 11, color), text(x + 15, y, label, { size: 11 }));
    x += 28 + label.length * 6.2;
  }
  return out;
}

function niceStep(totalSeconds: number): number {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300]) if (totalSeconds / step <= 14) return step;
  return 600;
}

function rect(x: number, y: number, w: number, h: number, fill: string, title?: string): string {
  const body = `x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"`;
  return title ? `<rect ${body}><title>${escapeXml(title)}</title></rect>` : `<rect ${body}/>`;
}

function text(x: number, y: number, content: string, o: { size: number; fill?: string; anchor?: 'start' | 'middle' | 'end'; weight?: 'bold' }): string {
  return (
    `<text x="${n(x)}" y="${n(y)}" font-size="${o.size}" fill="${o.fill ?? COLORS.text}"` +
    `${o.anchor && o.anchor !== 'start' ? ` text-anchor="${o.anchor}"` : ''}${o.weight ? ` font-weight="${o.weight}"` : ''}>${escapeXml(content)}</text>`
  );
}

const n = (value: number): string => (Math.round(value * 10) / 10).toString();
const fmt = (value: number): string => value.toLocaleString('en-US');
const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
