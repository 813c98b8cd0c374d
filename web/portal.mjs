// The billing portal page. Two ways in:
//   ?token=<portal token> (from GET /api/v1/customers/{id}/portal_url): the customer's snapshot,
//     invoices and wallets are read from the server with `Authorization: Bearer <token>`; the
//     token is taken out of the address bar at once and kept in this tab's sessionStorage.
//   ?snapshot=URL (or examples/portal.json): a snapshot file, for demos (--demo) and proposals.
// Then every figure is computed in the browser by the WASM engine: the next invoice (preview),
// the usage so far day by day and projected, what-if usage, coupons, every plan on the
// customer's usage. No framework; the engine does all the billing — snapshot.mjs builds its
// inputs, render.mjs draws its answers. window.portalSources keeps, per answer shown, the input
// it was computed from (the browser test replays each through the native CLI).
import { bindTariff, instantiate, TariffError } from '../build-wasm/tariff-core.mjs';
import { formatMoney } from './money.mjs';
import { activeSubscription, compareSnapshot, couponCredits, couponReason, findCoupon, isCounting,
  metricsOfPlan, normalizeUsage, planByCode, previewSnapshot, seriesSnapshots, usageSnapshot } from './snapshot.mjs';
import { renderChart } from './chart.mjs';
import { $, clearInvoice, el, num, renderCompare, renderCoupons, renderHistory, renderInvoice, renderSeries,
  renderUsageTable, renderWallets } from './render.mjs';

const WASM_DIR = new URL('../build-wasm/', import.meta.url);

// The engine as the package's browser entry makes it (node/browser.mjs): tariff.wasm compiled
// while it downloads (WebAssembly.compileStreaming: the server sends it as application/wasm,
// which also lets the browser keep the compiled code in its cache for the next page load),
// then instantiated from that Module (core.mjs's instantiate) — and again from it, without
// compiling, when the engine renews an instance whose memory grew.
async function compileWasm(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tariff.wasm: HTTP ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

async function loadEngine() {
  const [{ default: factory }, module] = await Promise.all([
    import(new URL('tariff.mjs', WASM_DIR).href),
    compileWasm(new URL('tariff.wasm', WASM_DIR)),
  ]);
  const renew = () => instantiate(factory, module);
  return bindTariff(await renew(), TariffError, { renew });
}

/** The customer a portal token names (its payload is signed, not secret). */
export function tokenCustomer(token) {
  const part = token.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))).sub;
}

const TOKEN_KEY = 'tariff-portal-token';

async function api(token, path) {
  const r = await fetch(new URL(path, location.href), { headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store', referrerPolicy: 'no-referrer' });
  if (r.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw new Error('This portal link has expired or is not valid: ask for a new one.');
  }
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function loadData() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  // Out of the address bar (history, bookmarks, screenshots, Referer); kept for this tab only,
  // so a reload still works until the token expires.
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  }
  const token = fromUrl ?? (params.has('snapshot') ? null : sessionStorage.getItem(TOKEN_KEY));
  if (token) {
    const customer = encodeURIComponent(tokenCustomer(token));
    const [portal, invoices, wallets] = await Promise.all([
      api(token, `/api/v1/customers/${customer}/snapshot`),
      api(token, `/api/v1/invoices?external_customer_id=${customer}&per_page=24`),
      api(token, `/api/v1/wallets?external_customer_id=${customer}`),
    ]);
    return { portal, invoices: invoices.invoices, wallets: wallets.wallets, from: 'server' };
  }
  const param = params.get('snapshot');
  const url = new URL(param ?? '../examples/portal.json', param ? location.href : import.meta.url);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`snapshot ${url}: HTTP ${r.status}`);
  const portal = await r.json();
  return { portal, invoices: portal.invoices ?? [], wallets: portal.wallets ?? [], from: 'snapshot' };
}

const state = { planCode: '', overrides: {}, coupon: '', rev: 0 };
let engine;
let portal;
let data;
const sources = {};
window.portalSources = sources;
window.portalState = state;

/** One engine call, recorded under `name` with its input. */
function run(name, operation, snapshot) {
  const result = engine[operation](snapshot);
  sources[name] = { operation, snapshot, result };
  return result;
}

const planInfoCache = new Map();
/** Per plan: the real usage so far (current_usage, whose window is the period) and the day series. */
function planInfo(planCode) {
  if (planInfoCache.has(planCode)) return planInfoCache.get(planCode);
  let info = { current: null, series: [], error: null };
  const snap = usageSnapshot(portal, { planCode });
  if (snap) {
    try {
      const current = run(`current:${planCode}`, 'currentUsage', snap).customer_usage;
      const period = { from_datetime: current.from_datetime, to_datetime: current.to_datetime };
      const series = seriesSnapshots(portal, { planCode, period }).map((s, i) => {
        const src = `series:${planCode}:${i}`;
        return { at: s.at, src, result: run(src, 'currentUsage', s.snapshot) };
      });
      info = { current, period, series, error: null };
    } catch (e) {
      info.error = e;
    }
  }
  planInfoCache.set(planCode, info);
  return info;
}

function hints(metric) {
  const h = portal.portal?.usage?.[metric.code] ?? {};
  const counting = isCounting(metric);
  return { default: h.default ?? (counting ? 10 : 100), max: h.max ?? (counting ? 100 : 1000),
    step: h.step ?? 1, unit: h.unit ?? (counting ? 'units' : '') };
}

/** The usage so far of a metric on the plan (the what-if's starting value). */
function actualUnits(info, metric) {
  if (!info.current) return String(hints(metric).default);
  const c = info.current.charges_usage.find((x) => x.billable_metric?.code === metric.code);
  // As a number input shows it: "4.0" → "4", "5450.50" → "5450.5".
  return c ? String(c.units).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') : '0';
}

/** " · so far N" under a metric's input: current_usage's units for it, sourced like every number. */
function soFar(info, metric) {
  const i = info.current?.charges_usage.findIndex((x) => x.billable_metric?.code === metric.code) ?? -1;
  if (i < 0) return [];
  return [' · so far ', num('span', `current:${state.planCode}`, ['customer_usage', 'charges_usage', i, 'units'], 'units',
    info.current.charges_usage[i].units, info.current.currency)];
}

function planPrice(plan) {
  const per = { weekly: 'week', monthly: 'month', quarterly: 'quarter', semiannual: 'half-year',
    yearly: 'year' }[plan.interval] ?? plan.interval;
  return `${formatMoney(plan.amount_cents, plan.amount_currency)} / ${per}`;
}

function plansOffered() {
  const sub = activeSubscription(portal);
  const currency = sub ? planByCode(portal, sub.plan_code)?.amount_currency : null;
  return (portal.plans ?? []).filter((p) => !currency || p.amount_currency === currency);
}

function renderPlans() {
  const box = $('plans');
  box.querySelectorAll('label').forEach((n) => n.remove());
  const mine = activeSubscription(portal)?.plan_code;
  for (const plan of plansOffered()) {
    const input = el('input', { type: 'radio', name: 'plan', value: plan.code, id: `plan-${plan.code}` });
    input.checked = plan.code === state.planCode;
    input.addEventListener('change', () => { state.planCode = plan.code; renderUsage(); schedule(); });
    box.append(el('label', { class: 'plan', for: `plan-${plan.code}` }, input,
      el('span', { class: 'plan-name', text: `${plan.name ?? plan.code}${plan.code === mine ? ' · your plan' : ''}` }),
      el('span', { class: 'plan-price', text: planPrice(plan) }),
      el('span', { class: 'plan-desc', text: plan.description ?? `${(plan.charges ?? []).length} usage charges` })));
  }
}

function renderUsage() {
  const box = $('usage');
  box.replaceChildren();
  const info = planInfo(state.planCode);
  const proposal = !activeSubscription(portal);
  for (const metric of metricsOfPlan(portal, state.planCode)) {
    const h = hints(metric);
    // A proposal has no usage of its own: the hints' defaults are its what-if from the start.
    if (proposal && state.overrides[metric.code] === undefined) state.overrides[metric.code] = String(h.default);
    const value = state.overrides[metric.code] ?? actualUnits(info, metric);
    const id = `usage-${metric.code}`;
    const number = el('input', { type: 'number', id, min: '0', step: isCounting(metric) ? '1' : 'any',
      inputmode: 'decimal', value, 'aria-describedby': `${id}-unit` });
    const slider = el('input', { type: 'range', id: `${id}-range`, min: '0',
      max: String(Math.max(h.max, Math.ceil(Number(value) * 2))), step: String(h.step), value,
      'aria-label': `${metric.name ?? metric.code} slider` });
    const set = (v) => { state.overrides[metric.code] = v; $('usage-reset').hidden = proposal; schedule(); };
    number.addEventListener('input', () => { slider.value = number.value; set(number.value); });
    slider.addEventListener('input', () => { number.value = slider.value; set(slider.value); });
    box.append(el('div', { class: 'metric' },
      el('label', { for: id, text: metric.name ?? metric.code }),
      el('div', { class: 'metric-inputs' }, slider, number),
      el('span', { class: 'unit', id: `${id}-unit` }, h.unit, ...soFar(info, metric))));
  }
  $('usage-reset').hidden = proposal || !Object.keys(state.overrides).length;
}

function showError(e) {
  const box = $('error');
  box.hidden = false;
  box.textContent = e instanceof TariffError
    ? `The engine could not compute this preview: ${e.message}` : `${e.message ?? e}`;
}

function couponItems(invoice) {
  const items = [];
  const seen = new Set();
  for (const a of portal.applied_coupons ?? []) {
    if ((a.status ?? 'active') !== 'active' || seen.has(a.coupon_code)) continue;
    seen.add(a.coupon_code);
    items.push({ code: a.coupon_code, name: findCoupon(portal, a.coupon_code)?.name, origin: 'account' });
  }
  if (state.coupon && !seen.has(state.coupon)) {
    items.push({ code: state.coupon, name: findCoupon(portal, state.coupon)?.name, origin: 'entered' });
  }
  if (state.couponRejected) items.push({ code: state.couponRejected, origin: 'entered', unknown: true });
  return items.map((it) => {
    if (it.unknown) return { ...it, verdict: { applies: false, reason: 'is not a valid coupon code' } };
    const credits = (invoice?.credits ?? []).map((c, k) => ({ ...c, k }))
      .filter((c) => couponCredits({ credits: [c] }, it.code).length && Number(c.amount_cents) > 0);
    if (credits.length) return { ...it, verdict: { applies: true, credits } };
    return { ...it, verdict: { applies: false,
      reason: couponReason(portal, findCoupon(portal, it.code), { planCode: state.planCode, invoice }) } };
  });
}

function renderProjection(info, metrics) {
  const sub = activeSubscription(portal);
  const tz = portal.customer?.timezone ?? portal.organization?.timezone ?? 'UTC';
  if (!sub) {
    $('projection-summary').textContent = 'No subscription yet: nothing used so far.';
    $('projection-list').replaceChildren();
    $('series').replaceChildren();
    renderChart($('chart'), null);
    return;
  }
  try {
    const usage = run('projection', 'projectedUsage',
      usageSnapshot(portal, { planCode: state.planCode, overrides: state.overrides, periodFrom: info.period?.from_datetime }))
      .customer_projected_usage;
    const cur = usage.currency;
    const summary = $('projection-summary');
    summary.replaceChildren(
      el('span', { text: 'So far ' }),
      el('span', { text: formatMoney(usage.amount_cents, cur), 'data-src': 'projection',
        'data-path': 'customer_projected_usage.amount_cents', 'data-fmt': 'money', 'data-currency': cur }),
      el('span', { text: ', projected ' }),
      el('span', { text: formatMoney(usage.projected_amount_cents, cur), 'data-src': 'projection',
        'data-path': 'customer_projected_usage.projected_amount_cents', 'data-fmt': 'money', 'data-currency': cur }),
      el('span', { text: ` by ${usage.to_datetime.slice(0, 10)} (excl. taxes)${Object.keys(state.overrides).length ? ', with your what-if usage' : ''}.` }));
    renderUsageTable(info.current, usage, metrics, 'projection');
    renderSeries(info.series, tz, cur);
    renderChart($('chart'), { from: usage.from_datetime, to: usage.to_datetime, currency: cur, timeZone: tz,
      points: info.series.map((s) => ({ at: s.at, cents: s.result.customer_usage.amount_cents })),
      projected: usage.projected_amount_cents, current: usage.amount_cents,
      projectedSource: { 'data-src': 'projection', 'data-path': 'customer_projected_usage.projected_amount_cents' } });
  } catch (e) {
    $('projection-summary').textContent = e instanceof TariffError
      ? `Projection unavailable (${e.message}).` : `Projection failed: ${e.message}`;
    $('projection-list').replaceChildren();
    renderChart($('chart'), null);
  }
}

/** Every plan on the customer's (what-if) usage: compare_plans when the engine has it. */
function renderComparison(info) {
  const sub = activeSubscription(portal);
  const hint = $('compare-hint');
  if (!sub) {
    hint.textContent = 'Subscribe to compare plans on your own usage.';
    $('compare').replaceChildren();
    return;
  }
  const choices = { planCode: state.planCode, overrides: state.overrides, periodFrom: info.period?.from_datetime };
  const names = Object.fromEntries((portal.plans ?? []).map((p) => [p.code, p.name ?? p.code]));
  let rows;
  let currency;
  try {
    if (typeof engine.comparePlans === 'function') {
      const result = run('compare', 'comparePlans', compareSnapshot(portal, { ...choices, explain: true }));
      rows = result.plans.map((p, i) => ({ plan: p.plan_code, name: names[p.plan_code] ?? p.plan_code, src: 'compare',
        total: p.total_amount_cents, totalPath: ['plans', i, 'total_amount_cents'],
        invoice: p.invoice, invoicePath: ['plans', i, 'invoice'],
        projected: p.projected_total_amount_cents, projectedPath: ['plans', i, 'projected_total_amount_cents'] }));
      currency = result.plans[0]?.invoice?.currency;
      hint.textContent = 'Each plan priced on this period as if you had been on it all period; the saving is on the projected total.';
    } else {
      // An engine without compare_plans: each plan's next invoice on the usage so far.
      rows = plansOffered().map((p) => {
        const src = `compare:${p.code}`;
        const inv = run(src, 'preview', previewSnapshot(portal, { ...choices, planCode: p.code, coupon: '' })).invoices[0];
        currency = inv.currency;
        return { plan: p.code, name: names[p.code], src, total: inv.total_amount_cents, invoice: inv,
          invoicePath: ['invoices', 0],
          totalPath: ['invoices', 0, 'total_amount_cents'], projected: null };
      }).sort((a, b) => a.total - b.total || a.plan.localeCompare(b.plan));
      hint.textContent = 'Each plan\'s next invoice on your usage so far; the saving is on that total.';
    }
    renderCompare(rows, sub.plan_code, currency);
  } catch (e) {
    hint.textContent = `Comparison unavailable (${e.message}).`;
    $('compare').replaceChildren();
  }
}

function recompute() {
  const metrics = metricsOfPlan(portal, state.planCode);
  for (const m of metrics) {
    if (state.overrides[m.code] !== undefined) state.overrides[m.code] = normalizeUsage(m, state.overrides[m.code]);
  }
  for (const k of Object.keys(sources)) if (k !== 'server' && k !== 'file') delete sources[k];
  const info = planInfo(state.planCode);
  // planInfo is cached: its answers are recorded again so every number shown has its source.
  if (info.current) {
    sources[`current:${state.planCode}`] = { operation: 'currentUsage',
      snapshot: usageSnapshot(portal, { planCode: state.planCode }), result: { customer_usage: info.current } };
    const days = seriesSnapshots(portal, { planCode: state.planCode, period: info.period });
    info.series.forEach((s, i) => { sources[s.src] = { operation: 'currentUsage', snapshot: days[i].snapshot, result: s.result }; });
  }
  $('error').hidden = true;
  let invoice = null;
  try {
    invoice = run('preview', 'preview', previewSnapshot(portal, { planCode: state.planCode, overrides: state.overrides,
      coupon: state.coupon, periodFrom: info.period?.from_datetime })).invoices[0];
    renderInvoice(invoice, 'preview');
  } catch (e) {
    clearInvoice();
    showError(e);
  }
  renderCoupons(couponItems(invoice), 'preview', invoice?.currency);
  renderProjection(info, metrics);
  renderComparison(info);
  document.body.dataset.rev = String(++state.rev);
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; recompute(); });
}

function applyCoupon(text) {
  const code = text.trim();
  state.couponRejected = '';
  if (!code) {
    state.coupon = '';
  } else {
    const coupon = findCoupon(portal, code);
    if (coupon) state.coupon = coupon.code;
    else state.couponRejected = code.toUpperCase();
  }
  schedule();
}

async function main() {
  try {
    [engine, data] = await Promise.all([loadEngine(), loadData()]);
  } catch (e) {
    showError(e);
    document.body.dataset.ready = 'error';
    return;
  }
  portal = data.portal;
  // History and wallets: the server's answers (token), or the snapshot file's own lists.
  const held = data.from === 'server' ? 'server' : 'file';
  sources[held] = { invoices: data.invoices, wallets: data.wallets };
  $('org-name').textContent = portal.portal?.title ?? portal.organization?.name ?? 'Billing';
  const sub = activeSubscription(portal);
  $('customer-name').textContent = portal.customer?.name ?? (sub ? '' : 'New customer');
  state.planCode = sub?.plan_code ?? portal.plans?.[0]?.code ?? '';
  renderPlans();
  renderUsage();
  renderHistory(data.invoices, held);
  renderWallets(data.wallets, held);
  $('coupon-form').addEventListener('submit', (ev) => { ev.preventDefault(); applyCoupon($('coupon').value); });
  $('usage-reset').addEventListener('click', () => { state.overrides = {}; renderUsage(); schedule(); });
  recompute();
  document.body.dataset.ready = 'true';
}

main();
