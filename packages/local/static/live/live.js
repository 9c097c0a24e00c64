// The local ELB's live page: one EventSource on /_local/events (hello, status, tick, call), no polling.
// Everything from the API (names, ids, descriptions) is set with textContent, never parsed as HTML.
'use strict';

const WINDOW_SECONDS = 60;
const MAX_CALLS = 30;
const COLORS = { InService: '#43a047', healthy: '#43a047', draining: '#ffb74d', deregistered: '#ffe082', OutOfService: '#e57373', unhealthy: '#e57373', initial: '#90caf9', other: '#bdbdbd' };

const view = { status: undefined, intervalMs: 500, members: new Map(), history: [], calls: [] };

/** What the API says, in one word: Classic reports a draining instance as InService "deregistration currently in progress". */
function displayState(m) {
  if (m.state === 'leaving') return 'deregistered';
  if (m.description && /deregistration currently in progress/i.test(m.description)) return 'draining';
  return m.state;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) if (value !== undefined) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function applyTick(at, members) {
  const next = new Map();
  for (const m of members) {
    const before = view.members.get(m.key);
    const seconds = before ? (at - before.at) / 1000 : 0;
    const delta = before ? m.routed - before.routed : 0;
    const rps = seconds > 0 ? Math.max(0, delta >= 0 ? delta : m.routed) / seconds : 0;
    next.set(m.key, { ...m, at, rps });
  }
  view.members = next;
  view.history.push({ at, members: [...next.values()].map((m) => ({ key: m.key, state: displayState(m), rps: m.rps })) });
  while (view.history.length > 0 && view.history[0].at < at - WINDOW_SECONDS * 1000) view.history.shift();
}

function renderLayout() {
  const root = document.getElementById('balancers');
  root.replaceChildren();
  const s = view.status;
  if (!s) return;
  document.getElementById('endpoint').textContent = `${s.endpoint} · ${s.region} · propagation delay ${s.propagationDelayMs} ms`;
  for (const lb of s.classic) {
    const card = el('div', { class: 'card', 'data-balancer': lb.name }, el('h3', {}, lb.name, el('span', { class: 'kind' }, 'Classic ELB')));
    card.append(
      el('div', { class: 'meta' },
        lb.listeners.map((l) => `:${l.declaredPort} → ${l.url}`).join(' · ') || 'no listener',
        ` · health check ${lb.healthCheck.target} every ${lb.healthCheck.intervalSeconds} s` +
          ` · connection draining ${lb.connectionDraining.enabled ? `${lb.connectionDraining.timeoutSeconds} s` : 'off'}` +
          ` · idle timeout ${lb.idleTimeoutSeconds} s`),
    );
    card.append(memberTable(lb.instances.map((m) => ({ key: `classic/${lb.name}/${m.instanceId}`, id: m.instanceId, address: m.address }))));
    root.append(card);
  }
  for (const lb of s.loadBalancers) {
    const card = el('div', { class: 'card', 'data-balancer': lb.name }, el('h3', {}, lb.name, el('span', { class: 'kind' }, lb.type === 'network' ? 'NLB' : 'ALB')));
    const groups = new Map(s.targetGroups.map((tg) => [tg.arn, tg.name]));
    card.append(el('div', { class: 'meta' }, lb.listeners.map((l) => `:${l.declaredPort} → ${l.url} → ${groups.get(l.targetGroupArn) ?? l.targetGroupArn}`).join(' · ') || 'no listener'));
    root.append(card);
  }
  for (const tg of s.targetGroups) {
    const card = el('div', { class: 'card', 'data-target-group': tg.name }, el('h3', {}, tg.name, el('span', { class: 'kind' }, 'target group')));
    card.append(el('div', { class: 'meta' }, `port ${tg.port} · deregistration delay ${tg.deregistrationDelaySeconds} s · ${tg.inUse ? 'in use' : 'not in use by any listener'}`));
    card.append(memberTable(tg.targets.map((m) => ({ key: `tg/${tg.name}/${m.instanceId}:${m.port ?? ''}`, id: m.port ? `${m.instanceId}:${m.port}` : m.instanceId, address: m.address }))));
    root.append(card);
  }
  if (root.childElementCount === 0) root.append(el('p', { class: 'empty' }, 'No balancers yet: create one through the API.'));
  renderValues();
}

function memberTable(rows) {
  if (rows.length === 0) return el('p', { class: 'empty' }, 'No instances registered.');
  const table = el('table', {}, el('thead', {}, el('tr', {}, ...['instance', 'address', 'state', 'API description', 'req/s', 'in flight', 'routed'].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const row of rows) {
    body.append(
      el('tr', { 'data-key': row.key, 'data-instance': row.id },
        el('td', {}, row.id), el('td', {}, row.address),
        el('td', {}, el('span', { class: 'badge', 'data-field': 'state' }, '…')),
        el('td', { class: 'desc', 'data-field': 'description' }),
        el('td', { class: 'num', 'data-field': 'rps' }), el('td', { class: 'num', 'data-field': 'inFlight' }), el('td', { class: 'num', 'data-field': 'routed' })),
    );
  }
  table.append(body);
  return table;
}

function renderValues() {
  for (const row of document.querySelectorAll('tr[data-key]')) {
    const m = view.members.get(row.getAttribute('data-key'));
    if (!m) continue;
    const badge = row.querySelector('[data-field="state"]');
    const state = displayState(m);
    badge.textContent = state === 'draining' ? `${m.state} · draining` : state === 'deregistered' ? 'deregistered, nodes still routing' : m.state;
    badge.setAttribute('data-state', state);
    row.setAttribute('data-state', state);
    row.querySelector('[data-field="description"]').textContent = m.description ?? '';
    row.querySelector('[data-field="rps"]').textContent = m.rps.toFixed(0);
    row.querySelector('[data-field="inFlight"]').textContent = m.inFlight;
    row.querySelector('[data-field="routed"]').textContent = m.routed.toLocaleString('en-US');
  }
}

function renderTimeline() {
  const svg = document.getElementById('timeline');
  const ns = 'http://www.w3.org/2000/svg';
  const keys = [...new Set(view.history.flatMap((t) => t.members.map((m) => m.key)))];
  const left = 230;
  const width = Math.max(600, svg.parentElement.clientWidth - 2);
  const lane = 34;
  const height = Math.max(40, keys.length * (lane + 6) + 24);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.replaceChildren();
  const now = view.history.at(-1)?.at ?? Date.now();
  const x = (at) => left + ((at - (now - WINDOW_SECONDS * 1000)) / (WINDOW_SECONDS * 1000)) * (width - left - 10);
  const tickWidth = Math.max(1, (view.intervalMs / (WINDOW_SECONDS * 1000)) * (width - left - 10));
  const maxRps = Math.max(1, ...view.history.flatMap((t) => t.members.map((m) => m.rps)));
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  keys.forEach((key, i) => {
    const top = 6 + i * (lane + 6);
    add('rect', { x: left, y: top, width: width - left - 10, height: lane, fill: '#fafafa', stroke: '#e0e0e0' });
    add('text', { x: left - 8, y: top + lane / 2 + 4, 'text-anchor': 'end', 'font-size': 11 }, key.replace(/^classic\//, '').replace(/^tg\//, 'tg '));
    for (const t of view.history) {
      const m = t.members.find((mm) => mm.key === key);
      if (!m) continue;
      const fill = COLORS[m.state] ?? COLORS.other;
      add('rect', { x: x(t.at) - tickWidth, y: top, width: tickWidth, height: lane, fill, 'fill-opacity': 0.25 });
      const h = (m.rps / maxRps) * (lane - 2);
      if (h > 0) add('rect', { x: x(t.at) - tickWidth, y: top + lane - h, width: tickWidth, height: h, fill });
    }
  });
  for (let s = 0; s <= WINDOW_SECONDS; s += 10) {
    const gx = x(now - s * 1000);
    add('text', { x: gx, y: height - 6, 'text-anchor': 'middle', 'font-size': 10, fill: '#616161' }, s === 0 ? 'now' : `-${s} s`);
  }
}

function addCall(call) {
  view.calls.unshift(call);
  view.calls.length = Math.min(view.calls.length, MAX_CALLS);
}

function renderCalls() {
  const body = document.querySelector('#calls tbody');
  body.replaceChildren();
  for (const c of view.calls) {
    const answer = c.fault ? `${c.status} ${c.error ?? ''} (fault: ${c.fault})` : c.error ? `${c.status} ${c.error}` : String(c.status);
    body.append(
      el('tr', { 'data-seq': c.seq },
        el('td', {}, new Date(c.at).toISOString().slice(11, 23)),
        el('td', {}, c.action ?? '?'),
        el('td', {}, c.loadBalancer ?? c.targetGroup ?? ''),
        el('td', {}, c.instanceIds.join(', ')),
        el('td', { class: c.error || c.status === 0 ? 'error' : '' }, answer),
        el('td', { class: 'num' }, c.answeredAt === null ? '–' : c.answeredAt - c.at)),
    );
  }
}

function legend() {
  const root = document.getElementById('legend');
  for (const [label, color] of [['InService / healthy', COLORS.InService], ['draining', COLORS.draining], ['deregistered, still routed', COLORS.deregistered], ['OutOfService / unhealthy', COLORS.OutOfService], ['initial', COLORS.initial]]) {
    const swatch = el('span');
    swatch.style.background = color;
    root.append(swatch, label);
  }
  document.getElementById('window-seconds').textContent = WINDOW_SECONDS;
}

function connect() {
  const connection = document.getElementById('connection');
  const events = new EventSource('events');
  events.addEventListener('open', () => {
    connection.textContent = 'live';
    connection.setAttribute('data-connection', 'live');
  });
  events.addEventListener('error', () => {
    connection.textContent = 'connection lost, retrying…';
    connection.setAttribute('data-connection', 'lost');
  });
  events.addEventListener('hello', (e) => {
    const d = JSON.parse(e.data);
    view.intervalMs = d.intervalMs;
    view.status = d.status;
    view.history = [];
    view.members = new Map();
    view.calls = [];
    applyTick(d.at, d.members);
    for (const call of d.calls) addCall(call);
    renderLayout();
    renderTimeline();
    renderCalls();
  });
  events.addEventListener('status', (e) => {
    view.status = JSON.parse(e.data);
    renderLayout();
  });
  events.addEventListener('tick', (e) => {
    const d = JSON.parse(e.data);
    applyTick(d.at, d.members);
    renderValues();
    renderTimeline();
  });
  events.addEventListener('call', (e) => {
    addCall(JSON.parse(e.data));
    renderCalls();
  });
}

legend();
connect();
