// The portal's DOM: builds the invoice, coupon, usage, comparison, history and wallet views from
// engine and server answers. Every number on the page is made by num(): its element carries
// where the value came from (data-src: which answer, data-path: where in it, data-fmt: how it
// is printed), so the browser test can check each one against the CLI or the server.
import { formatValue } from './money.mjs';
import { localDay } from './chart.mjs';

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v === true ? '' : v);
  }
  n.append(...children.filter((c) => c !== null && c !== undefined));
  return n;
}

/** A number from answer `src` at `path` (array of keys), printed as `fmt`. */
export function num(tag, src, path, fmt, value, currency, attrs = {}) {
  return el(tag, { ...attrs, text: formatValue(fmt, value, currency), 'data-src': src,
    'data-path': path.join('.'), 'data-fmt': fmt, 'data-currency': currency });
}

const FEE_TYPES = { subscription: 'Subscription', charge: 'Usage', fixed_charge: 'Fixed charge',
  commitment: 'Minimum commitment', add_on: 'Add-on' };

function feeName(fee) {
  const item = fee.item ?? {};
  return item.invoice_display_name || item.name || item.code || item.type;
}

/** The labels under a fee's name: its kind, filter, group, advance billing. */
export function feeTags(fee) {
  const item = fee.item ?? {};
  const tags = [FEE_TYPES[item.type] ?? item.type];
  if (item.filter_invoice_display_name) tags.push(`filter: ${item.filter_invoice_display_name}`);
  const groups = Object.entries(item.grouped_by ?? {});
  if (groups.length) tags.push(`grouped by ${groups.map(([k, v]) => `${k}: ${v ?? '(none)'}`).join(', ')}`);
  if (fee.pay_in_advance) tags.push('paid in advance');
  return tags;
}

// One explanation line as words (docs/explain.md lists the types); its amount is shown beside it.
const d = (v) => (v === null || v === undefined ? '∞' : formatValue('units', v));
const days = (l) => (l.days !== undefined && l.period_days !== undefined ? ` × ${l.days}/${l.period_days} days` : '');
const LINES = {
  subscription: (l) => `Plan ${d(l.plan_amount)}${days(l)}`,
  units: (l) => `${d(l.units)} units × ${d(l.unit_amount)}${days(l)}`,
  graduated_tier: (l) => `Tier ${d(l.from_value)}–${d(l.to_value)}: ${d(l.units)} × ${d(l.unit_amount)} + ${d(l.flat_amount)} flat`,
  graduated_percentage_tier: (l) => `Tier ${d(l.from_value)}–${d(l.to_value)}: ${d(l.units)} × ${d(l.rate)} % + ${d(l.flat_amount)} flat`,
  prorated_graduated: (l) => `Prorated tiers over ${d(l.units)} units`,
  volume_tier: (l) => `All ${d(l.units)} units at ${d(l.unit_amount)} (volume)`,
  flat_fee: () => 'Flat fee of the volume range',
  free_units: (l) => `${d(l.units)} free units${l.events !== undefined ? `, ${l.events} free events` : ''}`,
  packages: (l) => `${d(l.packages)} package(s) of ${d(l.package_size)} for ${d(l.units)} units × ${d(l.unit_amount)}`,
  percentage: (l) => `${d(l.units)} × ${d(l.rate)} %`,
  fixed_fee: (l) => `${l.events} transaction(s) × ${d(l.unit_amount)} fixed fee`,
  per_transaction_min_max: (l) => `Per-transaction minimum ${d(l.min_amount)} / maximum ${d(l.max_amount)}`,
  dynamic: (l) => `Dynamic amounts of ${l.events} event(s)`,
  pricing_unit_conversion: (l) => `${l.pricing_unit_code} at ${d(l.conversion_rate)}: rounding of the converted total`,
  charge_minimum: (l) => `Minimum spend ${d(l.min_amount)}${days(l)}`,
  charge_fees: () => 'Less the charge\'s fees',
  minimum_commitment: (l) => `Commitment ${d(l.commitment_amount)}${days(l)}`,
  fees_in_period: () => 'Less the period\'s fees',
  negative_amount_zeroed: () => 'A negative amount brought to zero',
  billed_before_event: () => 'Less what earlier events were billed',
};

function lineText(line) {
  if (LINES[line.type]) return LINES[line.type](line);
  const parts = Object.entries(line).filter(([k, v]) => k !== 'type' && k !== 'amount' && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
  return `${String(line.type ?? 'line').replace(/_/g, ' ')}${parts.length ? ` — ${parts.join(', ')}` : ''}`;
}

function explanationRow(fee, base, src, currency) {
  const lines = fee.explanation;
  const box = el('div', { class: 'explain' });
  if (Array.isArray(lines) && lines.length) {
    box.append(el('ol', {}, ...lines.map((line, j) => el('li', {},
      el('span', { text: lineText(line) }),
      num('span', src, [...base, 'explanation', j, 'amount'], 'amount', line.amount, currency, { class: 'num' })))));
    box.append(el('p', { class: 'explain-sum' }, el('span', { text: 'Fee amount (exact)' }),
      num('span', src, [...base, 'precise_amount'], 'amount', fee.precise_amount, currency, { class: 'num' })));
  } else {
    // An engine without explanations: the fee's own figures.
    box.append(el('p', { text: `${fee.units ?? 0} units; exact amount ${fee.precise_amount ?? fee.amount_cents}.` }));
  }
  return el('tr', { class: 'explain-row', hidden: true }, el('td', { colspan: '4' }, box));
}

/** The rows of an invoice's fees (at `path` in answer `src`), each opening on its explanation. */
export function feeRows(invoice, src, path) {
  const cur = invoice.currency;
  const rows = [];
  invoice.fees.forEach((fee, i) => {
    const base = [...path, 'fees', i];
    const detail = explanationRow(fee, base, src, cur);
    const toggle = el('button', { type: 'button', class: 'fee-open', 'aria-expanded': 'false',
      'aria-label': `How ${feeName(fee)} is made` }, el('span', { class: 'fee-name', text: feeName(fee) }));
    toggle.addEventListener('click', () => {
      detail.hidden = !detail.hidden;
      toggle.setAttribute('aria-expanded', String(!detail.hidden));
    });
    const tags = feeTags(fee);
    rows.push(el('tr', { class: 'fee', 'data-fee-type': fee.item?.type },
      el('th', { scope: 'row' }, toggle, el('span', { class: 'fee-type', text: tags.join(' · ') })),
      num('td', src, [...base, 'units'], 'units', fee.units ?? '0', cur, { class: 'num' }),
      fee.precise_unit_amount !== undefined && fee.precise_unit_amount !== null
        ? num('td', src, [...base, 'precise_unit_amount'], 'price', fee.precise_unit_amount, cur, { class: 'num' })
        : el('td', { class: 'num' }),
      num('td', src, [...base, 'amount_cents'], 'money', fee.amount_cents, cur, { class: 'num' })));
    rows.push(detail);
  });
  return rows;
}

export function renderInvoice(invoice, src) {
  const cur = invoice.currency;
  const rows = feeRows(invoice, src, ['invoices', 0]);
  if (!invoice.fees.length) rows.push(el('tr', {}, el('td', { colspan: '4', class: 'empty', text: 'No fees on this invoice' })));
  $('fees').replaceChildren(...rows);

  const total = (label, key, cls, fmt = 'money') => el('tr', cls ? { class: cls } : {},
    el('th', { scope: 'row', text: label }),
    num('td', src, ['invoices', 0, key], fmt, invoice[key], cur, { class: 'num' }));
  const t = [total('Fees', 'fees_amount_cents')];
  (invoice.credits ?? []).forEach((c, k) => {
    if (!c.before_taxes) return;
    t.push(el('tr', { class: 'credit' }, el('th', { scope: 'row', text: `Coupon ${c.item?.name ?? c.item?.code ?? ''}`.trim() }),
      num('td', src, ['invoices', 0, 'credits', k, 'amount_cents'], 'credit', c.amount_cents, cur, { class: 'num' })));
  });
  t.push(total('Sub-total excl. taxes', 'sub_total_excluding_taxes_amount_cents', 'sub'));
  (invoice.applied_taxes ?? []).forEach((tax, k) => {
    t.push(el('tr', {}, el('th', { scope: 'row' }, `${tax.tax_name ?? tax.tax_code} (`,
      num('span', src, ['invoices', 0, 'applied_taxes', k, 'tax_rate'], 'units', String(tax.tax_rate), cur), ' %)'),
    num('td', src, ['invoices', 0, 'applied_taxes', k, 'amount_cents'], 'money', tax.amount_cents, cur, { class: 'num' })));
  });
  if (!(invoice.applied_taxes ?? []).length) t.push(total('Taxes', 'taxes_amount_cents'));
  t.push(total('Sub-total incl. taxes', 'sub_total_including_taxes_amount_cents', 'sub'));
  if (invoice.credit_notes_amount_cents) t.push(total('Credit notes', 'credit_notes_amount_cents', 'credit', 'credit'));
  if (invoice.prepaid_credit_amount_cents) t.push(total('Prepaid credits', 'prepaid_credit_amount_cents', 'credit', 'credit'));
  $('totals').replaceChildren(...t);
  const out = $('total');
  out.textContent = formatValue('money', invoice.total_amount_cents, cur);
  Object.assign(out.dataset, { src, path: 'invoices.0.total_amount_cents', fmt: 'money', currency: cur,
    cents: String(invoice.total_amount_cents) });
  const meta = [['Issuing date', invoice.issuing_date], ['Due', invoice.payment_due_date ?? invoice.issuing_date],
    ['Currency', cur]];
  $('invoice-meta').replaceChildren(...meta.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v ?? '—' })]));
}

export function clearInvoice() {
  $('fees').replaceChildren();
  $('totals').replaceChildren();
  $('invoice-meta').replaceChildren();
  const out = $('total');
  out.textContent = '—';
  for (const k of ['src', 'path', 'fmt', 'currency', 'cents']) delete out.dataset[k];
}

/** items: [{code, name, verdict: {applies, credits: [{k, amount_cents}], reason}}] */
export function renderCoupons(items, src, currency) {
  $('coupons').replaceChildren(...items.map(({ code, name, origin, verdict }) => {
    const head = el('strong', { text: code });
    const what = origin === 'account' ? ' (on your account)' : '';
    if (verdict.applies) {
      return el('li', { class: 'ok', 'data-coupon': code, 'data-applies': 'true' }, '✓ ', head, `${name ? ` ${name}` : ''}${what}: `,
        ...verdict.credits.flatMap((c, i) => [i ? ' + ' : '',
          num('span', src, ['invoices', 0, 'credits', c.k, 'amount_cents'], 'credit', c.amount_cents, currency)]),
        ' on this invoice');
    }
    return el('li', { class: 'bad', 'data-coupon': code, 'data-applies': 'false' }, '✗ ', head, `${what} ${verdict.reason}.`);
  }));
}

export function renderUsageTable(current, projection, planMetrics, src) {
  const cur = projection?.currency ?? current?.currency;
  const rows = [];
  (projection?.charges_usage ?? []).forEach((c, i) => {
    if (!planMetrics.some((m) => m.code === c.billable_metric?.code)) return;
    rows.push(el('tr', {}, el('th', { scope: 'row', text: c.billable_metric?.name ?? c.billable_metric?.code }),
      num('td', src, ['customer_projected_usage', 'charges_usage', i, 'units'], 'units', c.units, cur, { class: 'num' }),
      num('td', src, ['customer_projected_usage', 'charges_usage', i, 'projected_units'], 'units', c.projected_units, cur, { class: 'num' }),
      num('td', src, ['customer_projected_usage', 'charges_usage', i, 'projected_amount_cents'], 'money', c.projected_amount_cents, cur, { class: 'num' })));
  });
  $('projection-list').replaceChildren(...rows);
}

export function renderSeries(series, timeZone, currency) {
  $('series').replaceChildren(...series.map((s) => el('tr', {},
    el('th', { scope: 'row', text: localDay(s.at, timeZone) }),
    num('td', s.src, ['customer_usage', 'amount_cents'], 'money', s.result.customer_usage.amount_cents, currency, { class: 'num' }))));
}

/**
 * rows: [{plan, name, src, totalPath, total, projectedPath, projected, invoice, invoicePath}]:
 * each plan's figures, the saving against the subscribed plan, and its invoice's fees (each
 * opening on its explanation) when the plan is opened.
 */
export function renderCompare(rows, currentPlan, currency) {
  const base = rows.find((r) => r.plan === currentPlan);
  $('compare').replaceChildren(...rows.flatMap((r) => {
    const label = `${r.name}${r.plan === currentPlan ? ' (your plan)' : ''}`;
    const detail = el('tr', { class: 'compare-detail', 'data-plan-detail': r.plan, hidden: true },
      el('td', { colspan: '4' }, el('table', { class: 'fees compare-fees', 'aria-label': `${r.name}: fees` },
        el('tbody', {}, ...(r.invoice ? feeRows(r.invoice, r.src, r.invoicePath) : [])))));
    const open = el('button', { type: 'button', class: 'fee-open', 'aria-expanded': 'false', text: label });
    open.addEventListener('click', () => {
      detail.hidden = !detail.hidden;
      open.setAttribute('aria-expanded', String(!detail.hidden));
    });
    const tr = el('tr', { 'data-plan': r.plan, class: r.plan === currentPlan ? 'current' : undefined },
      el('th', { scope: 'row' }, open),
      num('td', r.src, r.totalPath, 'money', r.total, currency, { class: 'num' }),
      r.projected === null ? el('td', { class: 'num muted', text: '—' })
        : num('td', r.src, r.projectedPath, 'money', r.projected, currency, { class: 'num' }));
    const key = r.projected === null ? 'total' : 'projected';
    if (!base || r.plan === currentPlan) {
      tr.append(el('td', { class: 'num muted', text: '—' }));
    } else {
      // The saving: your plan's figure minus this plan's (positive = this plan costs less).
      const saving = BigInt(base[key]) - BigInt(r[key]);
      const cell = el('td', { class: `num ${saving > 0n ? 'good' : saving < 0n ? 'bad' : ''}`,
        'data-saving': String(saving), 'data-basis': key });
      cell.append(saving > 0n ? 'saves ' : saving < 0n ? 'costs ' : 'same',
        saving === 0n ? '' : formatValue('money', saving > 0n ? saving : -saving, currency), saving < 0n ? ' more' : '');
      tr.append(cell);
    }
    return [tr, detail];
  }));
}

export function renderHistory(invoices, src, timeZone) {
  const rows = invoices.map((inv, i) => el('tr', {},
    el('th', { scope: 'row', text: inv.number ?? '—' }),
    el('td', { text: inv.issuing_date ?? '' }),
    el('td', { text: [inv.status, inv.payment_status].filter(Boolean).join(' · ') }),
    num('td', src, ['invoices', i, 'total_amount_cents'], 'money', inv.total_amount_cents, inv.currency, { class: 'num' })));
  if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: '4', class: 'empty', text: 'No invoices yet' })));
  $('invoices').replaceChildren(...rows);
  void timeZone;
}

export function renderWallets(wallets, src) {
  const items = wallets.map((w, i) => el('li', {}, el('span', { text: w.name ?? 'Wallet' }), ' ',
    num('span', src, ['wallets', i, 'balance_cents'], 'money', w.balance_cents, w.currency, { class: 'num' }),
    ...(w.credits_balance === undefined ? []
      : [' (', num('span', src, ['wallets', i, 'credits_balance'], 'units', w.credits_balance, w.currency), ' credits)'])));
  if (!items.length) items.push(el('li', { class: 'empty', text: 'No prepaid credits' }));
  $('wallets').replaceChildren(...items);
}
