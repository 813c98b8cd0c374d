// A small SVG chart of usage charges over the billing period: one point per day so far (the
// engine's current_usage as of that day's end), a solid line through them, and a dashed line
// from today to the projection at the period end. Amounts are integer cents; only the geometry
// uses floating point.
import { formatMoney } from './money.mjs';

const NS = 'http://www.w3.org/2000/svg';
const W = 480;
const H = 200;
const PAD = { l: 8, r: 8, t: 24, b: 22 };

function node(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

// The local calendar day of an instant in the customer's zone ("2024-03-01").
export function localDay(iso, timeZone) {
  try {
    return new Date(iso).toLocaleDateString('en-CA', { timeZone: timeZone ?? 'UTC' });
  } catch {
    return String(iso).slice(0, 10);
  }
}

/**
 * data: { from, to, points: [{at, cents}], projected (cents at `to`), projectedSource ({'data-src',
 * 'data-path'} of that figure), current (cents today the projection starts from), currency, timeZone },
 * or null for "nothing to show".
 */
export function renderChart(svg, data) {
  svg.querySelectorAll(':scope > :not(title)').forEach((n) => n.remove());
  if (!data || !data.points.length) {
    svg.append(node('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted' }, 'No usage yet'));
    return;
  }
  const t0 = Date.parse(data.from);
  const t1 = Date.parse(data.to);
  const last = data.points[data.points.length - 1];
  const top = Math.max(data.projected ?? 0, data.current ?? 0, ...data.points.map((p) => p.cents), 1);
  const x = (t) => PAD.l + ((Math.min(Math.max(t, t0), t1) - t0) / Math.max(t1 - t0, 1)) * (W - PAD.l - PAD.r);
  const y = (c) => H - PAD.b - (c / top) * (H - PAD.t - PAD.b);
  for (const f of [0, 0.5, 1]) {
    svg.append(node('line', { x1: PAD.l, x2: W - PAD.r, y1: y(top * f), y2: y(top * f), class: 'grid' }));
  }
  const pts = [{ at: data.from, cents: 0 }, ...data.points].map((p) => `${x(Date.parse(p.at))},${y(p.cents)}`);
  svg.append(node('path', { d: `M${pts.join(' L')} L${x(Date.parse(last.at))},${y(0)} Z`, class: 'area' }));
  svg.append(node('polyline', { points: pts.join(' '), class: 'now' }));
  for (const p of data.points) {
    svg.append(node('circle', { cx: x(Date.parse(p.at)), cy: y(p.cents), r: 2, class: 'day' }));
  }
  if (data.projected !== null && data.projected !== undefined) {
    // The projection starts from today's figure it was made from (a what-if's, when there is one).
    const start = data.current ?? last.cents;
    if (start !== last.cents) svg.append(node('circle', { cx: x(Date.parse(last.at)), cy: y(start), r: 4, class: 'dot proj-dot' }));
    svg.append(node('line', { x1: x(Date.parse(last.at)), y1: y(start), x2: x(t1), y2: y(data.projected), class: 'proj' }));
    svg.append(node('circle', { cx: x(t1), cy: y(data.projected), r: 4, class: 'dot proj-dot' }));
    // The label names its source like every number on the page (render.mjs num()).
    svg.append(node('text', { x: W - PAD.r, y: Math.max(y(data.projected) - 8, 14), 'text-anchor': 'end', class: 'label',
      'data-fmt': 'money', 'data-currency': data.currency, ...(data.projectedSource ?? {}) },
    formatMoney(data.projected, data.currency)));
  }
  svg.append(node('circle', { cx: x(Date.parse(last.at)), cy: y(last.cents), r: 4, class: 'dot' }));
  svg.append(node('text', { x: PAD.l, y: H - 6, class: 'axis' }, localDay(data.from, data.timeZone)));
  svg.append(node('text', { x: x(Date.parse(last.at)), y: H - 6, 'text-anchor': 'middle', class: 'axis' }, 'today'));
  svg.append(node('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end', class: 'axis' }, localDay(data.to, data.timeZone)));
}
