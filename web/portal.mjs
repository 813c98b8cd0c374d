// The billing portal page: loads a snapshot (?snapshot=URL, default ../examples/portal.json),
// lets the visitor pick a plan, set usage per metric and enter a coupon, and recomputes the
// next invoice in the browser with the WASM engine on every change (preview), plus a chart of
// projected usage charges (projected_usage). No framework; the engine does all the billing —
// this file only builds snapshots (snapshot.mjs) and renders what comes back.
import { bindTariff, TariffError } from '../build-wasm/tariff-core.mjs';
import { formatDecimal, formatMoney } from './money.mjs';
import { activeSubscription, findCoupon, isCounting, metricsOfPlan, normalizeUsage, planByCode,
  previewSnapshot, projectionSnapshot } from './snapshot.mjs';
import { renderChart } from './chart.mjs';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v);
  }
  n.append(...children);
  return n;
};

const WASM_DIR = new URL('../build-wasm/', import.meta.url);

async function loadEngine() {
  const [{ default: factory }, bytes] = await Promise.all([
    import(new URL('tariff.mjs', WASM_DIR).href),
    fetch(new URL('tariff.wasm', WASM_DIR)).then((r) => {
      if (!r.ok) throw new Error(`tariff.wasm: HTTP ${r.status}`);
      return r.arrayBuffer();
    }),
  ]);
  return bindTariff(await factory({ wasmBinary: new Uint8Array(bytes) }), TariffError);
}

async function loadSnapshot() {
  const param = new URLSearchParams(location.search).get('snapshot');
  const url = new URL(param ?? '../examples/portal.json', param ? location.href : import.meta.url);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`snapshot ${url}: HTTP ${r.status}`);
  return r.json();
}

const state = { planCode: '', usage: {}, coupon: '', rev: 0 };
let engine;
let portal;

function hints(metric) {
  const h = portal.portal?.usage?.[metric.code] ?? {};
  const counting = isCounting(metric);
  return { default: h.default ?? (counting ? 10 : 100), max: h.max ?? (counting ? 100 : 1000),
    step: h.step ?? 1, unit: h.unit ?? (counting ? 'units' : '') };
}

function planPrice(plan) {
  const per = { weekly: 'week', monthly: 'month', quarterly: 'quarter', semiannual: 'half-year',
    yearly: 'year' }[plan.interval] ?? plan.interval;
  return `${formatMoney(plan.amount_cents, plan.amount_currency)} / ${per}`;
}

function renderPlans() {
  const box = $('plans');
  box.querySelectorAll('label').forEach((n) => n.remove());
  for (const plan of portal.plans ?? []) {
    const input = el('input', { type: 'radio', name: 'plan', value: plan.code, id: `plan-${plan.code}` });
    input.checked = plan.code === state.planCode;
    input.addEventListener('change', () => { state.planCode = plan.code; renderUsage(); schedule(); });
    box.append(el('label', { class: 'plan', for: `plan-${plan.code}` }, input,
      el('span', { class: 'plan-name', text: plan.name ?? plan.code }),
      el('span', { class: 'plan-price', text: planPrice(plan) }),
      el('span', { class: 'plan-desc', text: plan.description ?? `${(plan.charges ?? []).length} usage charges` })));
  }
}

function renderUsage() {
  const box = $('usage');
  box.replaceChildren();
  for (const metric of metricsOfPlan(portal, state.planCode)) {
    const h = hints(metric);
    if (state.usage[metric.code] === undefined) state.usage[metric.code] = String(h.default);
    const id = `usage-${metric.code}`;
    const number = el('input', { type: 'number', id, min: '0', step: isCounting(metric) ? '1' : 'any',
      inputmode: 'decimal', value: state.usage[metric.code], 'aria-describedby': `${id}-unit` });
    const slider = el('input', { type: 'range', id: `${id}-range`, min: '0', max: String(h.max),
      step: String(h.step), value: state.usage[metric.code], 'aria-label': `${metric.name ?? metric.code} slider` });
    number.addEventListener('input', () => {
      state.usage[metric.code] = number.value;
      slider.value = number.value;
      schedule();
    });
    slider.addEventListener('input', () => {
      number.value = slider.value;
      state.usage[metric.code] = slider.value;
      schedule();
    });
    box.append(el('div', { class: 'metric' },
      el('label', { for: id, text: metric.name ?? metric.code }),
      el('div', { class: 'metric-inputs' }, slider, number),
      el('span', { class: 'unit', id: `${id}-unit`, text: h.unit })));
  }
}

function feeLabel(fee) {
  const item = fee.item ?? {};
  const name = item.invoice_display_name || item.name || item.code || item.type;
  const filter = item.filter_invoice_display_name ? ` · ${item.filter_invoice_display_name}` : '';
  return name + filter;
}

function renderInvoice(invoice) {
  const cur = invoice.currency;
  const money = (c) => formatMoney(c, cur);
  $('fees').replaceChildren(...invoice.fees.map((fee) => el('tr', {},
    el('th', { scope: 'row' }, el('span', { class: 'fee-name', text: feeLabel(fee) }),
      el('span', { class: 'fee-type', text: fee.item?.type === 'subscription' ? 'Subscription' : fee.item?.type === 'commitment' ? 'Commitment' : 'Usage' })),
    el('td', { class: 'num', text: formatDecimal(fee.units ?? '0', 0, 4) }),
    el('td', { class: 'num', text: fee.precise_unit_amount !== undefined
      ? `${formatDecimal(fee.precise_unit_amount, 2, 6)}` : '' }),
    el('td', { class: 'num', text: money(fee.amount_cents) }))));
  if (invoice.fees.length === 0) {
    $('fees').append(el('tr', {}, el('td', { colspan: '4', class: 'empty', text: 'No fees on this invoice' })));
  }
  const rows = [['Fees', money(invoice.fees_amount_cents)]];
  for (const credit of (invoice.credits ?? []).filter((c) => c.before_taxes)) {
    rows.push([`Coupon ${credit.item?.name ?? credit.item?.code ?? ''}`.trim(), money(-credit.amount_cents), 'credit']);
  }
  if (!(invoice.credits ?? []).some((c) => c.before_taxes) && invoice.coupons_amount_cents) {
    rows.push(['Coupons', money(-invoice.coupons_amount_cents), 'credit']);
  }
  rows.push(['Sub-total excl. taxes', money(invoice.sub_total_excluding_taxes_amount_cents), 'sub']);
  for (const tax of invoice.applied_taxes ?? []) {
    rows.push([`${tax.tax_name ?? tax.tax_code} (${formatDecimal(String(tax.tax_rate), 0, 4)} %)`, money(tax.amount_cents)]);
  }
  if (!(invoice.applied_taxes ?? []).length) rows.push(['Taxes', money(invoice.taxes_amount_cents)]);
  rows.push(['Sub-total incl. taxes', money(invoice.sub_total_including_taxes_amount_cents), 'sub']);
  rows.push(['Credit notes', money(-invoice.credit_notes_amount_cents), 'credit']);
  rows.push(['Prepaid credits', money(-invoice.prepaid_credit_amount_cents), 'credit']);
  $('totals').replaceChildren(...rows.map(([label, value, cls]) =>
    el('tr', cls ? { class: cls } : {}, el('th', { scope: 'row', text: label }), el('td', { class: 'num', text: value }))));
  const total = $('total');
  total.textContent = money(invoice.total_amount_cents);
  total.dataset.cents = String(invoice.total_amount_cents);
  total.dataset.currency = cur;
  const meta = [['Issuing date', invoice.issuing_date], ['Due', invoice.payment_due_date ?? invoice.issuing_date],
    ['Currency', cur]];
  $('invoice-meta').replaceChildren(...meta.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v ?? '—' })]));
}

function showError(e) {
  const box = $('error');
  box.hidden = false;
  box.textContent = e instanceof TariffError
    ? `The engine could not compute this preview: ${e.message}` : `Unexpected error: ${e.message ?? e}`;
  // Never leave numbers of an earlier answer on screen next to the error.
  $('fees').replaceChildren();
  $('totals').replaceChildren();
  $('invoice-meta').replaceChildren();
  const total = $('total');
  total.textContent = '—';
  delete total.dataset.cents;
}

function renderProjection() {
  const snap = projectionSnapshot(portal, state);
  const list = $('projection-list');
  if (!snap) {
    $('projection-summary').textContent = 'No active subscription: nothing to project yet.';
    list.replaceChildren();
    renderChart($('chart'), null);
    return;
  }
  try {
    const usage = engine.projectedUsage(snap).customer_projected_usage;
    const cur = usage.currency ?? planByCode(portal, state.planCode)?.amount_currency;
    $('projection-summary').textContent = `${formatMoney(usage.amount_cents, cur)} so far, ` +
      `${formatMoney(usage.projected_amount_cents, cur)} projected by ${usage.to_datetime.slice(0, 10)} (excl. taxes).`;
    list.replaceChildren(...usage.charges_usage.map((c) => el('li', {},
      el('span', { text: c.billable_metric?.name ?? c.billable_metric?.code }),
      el('span', { class: 'num', text: `${formatDecimal(c.projected_units, 0, 2)} → ${formatMoney(c.projected_amount_cents, cur)}` }))));
    renderChart($('chart'), { from: usage.from_datetime, to: usage.to_datetime, now: portal.now,
      current: usage.amount_cents, projected: usage.projected_amount_cents, currency: cur,
      timeZone: portal.customer?.timezone ?? portal.organization?.timezone ?? 'UTC' });
  } catch (e) {
    $('projection-summary').textContent = e instanceof TariffError
      ? `Projection unavailable (${e.message}).` : `Projection failed: ${e.message}`;
    list.replaceChildren();
    renderChart($('chart'), null);
  }
}

function recompute() {
  for (const metric of metricsOfPlan(portal, state.planCode)) {
    state.usage[metric.code] = normalizeUsage(metric, state.usage[metric.code]);
  }
  $('error').hidden = true;
  try {
    const result = engine.preview(previewSnapshot(portal, state));
    renderInvoice(result.invoices[0]);
  } catch (e) {
    showError(e);
  }
  renderProjection();
  document.body.dataset.rev = String(++state.rev);
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; recompute(); });
}

function applyCoupon(code) {
  const status = $('coupon-status');
  const text = code.trim();
  if (!text) {
    state.coupon = '';
    status.textContent = '';
  } else {
    const coupon = findCoupon(portal, text);
    if (!coupon) {
      status.textContent = `“${text}” is not a valid coupon code.`;
      status.className = 'coupon-status bad';
      return;
    }
    state.coupon = coupon.code;
    status.textContent = `Coupon ${coupon.code} applied${coupon.name ? ` — ${coupon.name}` : ''}.`;
    status.className = 'coupon-status ok';
  }
  schedule();
}

async function main() {
  try {
    [engine, portal] = await Promise.all([loadEngine(), loadSnapshot()]);
  } catch (e) {
    showError(e);
    document.body.dataset.ready = 'error';
    return;
  }
  $('org-name').textContent = portal.portal?.title ?? portal.organization?.name ?? 'Billing';
  const sub = activeSubscription(portal);
  $('customer-name').textContent = portal.customer?.name ?? (sub ? '' : 'New customer');
  state.planCode = sub?.plan_code ?? portal.plans?.[0]?.code ?? '';
  renderPlans();
  renderUsage();
  $('coupon-form').addEventListener('submit', (ev) => { ev.preventDefault(); applyCoupon($('coupon').value); });
  recompute();
  document.body.dataset.ready = 'true';
}

main();
