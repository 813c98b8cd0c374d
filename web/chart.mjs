// A small SVG chart of usage charges over the billing period: a solid line from the period
// start to `now` (charged so far), a dashed one from `now` to the period end (projected).
// Amounts are integer cents; only the geometry uses floating point.
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
function localDay(iso, timeZone) {
  try {
    return new Date(iso).toLocaleDateString('en-CA', { timeZone: timeZone ?? 'UTC' });
  } catch {
    return iso.slice(0, 10);
  }
}

export function renderChart(svg, data) {
  svg.querySelectorAll(':scope > :not(title)').forEach((n) => n.remove());
  if (!data) {
    svg.append(node('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted' }, 'No projection'));
    return;
  }
  const t0 = Date.parse(data.from);
  const t1 = Date.parse(data.to);
  const tn = Math.min(Math.max(Date.parse(data.now), t0), t1);
  const top = Math.max(data.projected, data.current, 1);
  const x = (t) => PAD.l + ((t - t0) / Math.max(t1 - t0, 1)) * (W - PAD.l - PAD.r);
  const y = (c) => H - PAD.b - (c / top) * (H - PAD.t - PAD.b);
  for (const f of [0, 0.5, 1]) {
    svg.append(node('line', { x1: PAD.l, x2: W - PAD.r, y1: y(top * f), y2: y(top * f), class: 'grid' }));
  }
  svg.append(node('path', { d: `M${x(t0)},${y(0)} L${x(tn)},${y(data.current)} L${x(tn)},${y(0)} Z`, class: 'area' }));
  svg.append(node('line', { x1: x(t0), y1: y(0), x2: x(tn), y2: y(data.current), class: 'now' }));
  svg.append(node('line', { x1: x(tn), y1: y(data.current), x2: x(t1), y2: y(data.projected), class: 'proj' }));
  svg.append(node('circle', { cx: x(tn), cy: y(data.current), r: 4, class: 'dot' }));
  svg.append(node('circle', { cx: x(t1), cy: y(data.projected), r: 4, class: 'dot proj-dot' }));
  svg.append(node('text', { x: W - PAD.r, y: Math.max(y(data.projected) - 8, 14), 'text-anchor': 'end', class: 'label' },
    formatMoney(data.projected, data.currency)));
  svg.append(node('text', { x: PAD.l, y: H - 6, class: 'axis' }, localDay(data.from, data.timeZone)));
  svg.append(node('text', { x: x(tn), y: H - 6, 'text-anchor': 'middle', class: 'axis' }, 'today'));
  svg.append(node('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end', class: 'axis' }, localDay(data.to, data.timeZone)));
}
