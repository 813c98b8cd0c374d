// Builds the snapshots the portal sends to the engine, from the loaded portal snapshot and
// the visitor's choices (plan, usage per metric, coupon code). Pure and DOM-free, so the
// browser test builds the very same snapshot for the native CLI.
//
// With an active subscription in the snapshot the preview is Lago's projection of the next
// invoice, with the chosen plan put in the subscription's place (a what-if); without one it
// is a proposal for a new customer (plan_code + subscription_at = now: no usage charges).
// Usage becomes events at `now`: one event carrying the value for sum/max/latest/weighted
// metrics, N events for count, N distinct values for unique count.

/** The active subscription the portal previews, or null (proposal mode). */
export function activeSubscription(portal) {
  return (portal.subscriptions ?? []).find((s) => (s.status ?? 'active') === 'active') ?? null;
}

export function planByCode(portal, code) {
  return (portal.plans ?? []).find((p) => p.code === code) ?? null;
}

/** The billable metrics the plan charges for, in charge order, each once. */
export function metricsOfPlan(portal, planCode) {
  const plan = planByCode(portal, planCode);
  const seen = new Set();
  const out = [];
  for (const charge of plan?.charges ?? []) {
    const code = charge.billable_metric_code;
    if (seen.has(code)) continue;
    seen.add(code);
    const metric = (portal.billable_metrics ?? []).find((m) => m.code === code);
    if (metric) out.push(metric);
  }
  return out;
}

/** Whole units only for metrics that count events. */
export function isCounting(metric) {
  return metric.aggregation_type === 'count_agg' || metric.aggregation_type === 'unique_count_agg';
}

/** A usage value as the engine should read it: a plain non-negative decimal string. */
export function normalizeUsage(metric, value) {
  const text = String(value ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return '0';
  const clean = text.replace(/^0+(?=\d)/, '');
  return isCounting(metric) ? clean.split('.')[0] : clean;
}

export function generateEvents(metric, value, now, subscriptionId) {
  const v = normalizeUsage(metric, value);
  if (Number(v) === 0) return [];
  const base = { code: metric.code, timestamp: now };
  if (subscriptionId) base.external_subscription_id = subscriptionId;
  const id = (i) => `portal_${metric.code}_${i}`;
  switch (metric.aggregation_type) {
    case 'count_agg':
      return Array.from({ length: Number(v) }, (_, i) => ({ ...base, transaction_id: id(i), properties: {} }));
    case 'unique_count_agg':
      return Array.from({ length: Number(v) }, (_, i) => ({ ...base, transaction_id: id(i),
        properties: { [metric.field_name]: `${metric.code}_${i + 1}` } }));
    default:
      return [{ ...base, transaction_id: id(0), properties: { [metric.field_name]: v } }];
  }
}

/**
 * The preview snapshot for { planCode, usage: {metric_code: value}, coupon }.
 * Returns a new object; `portal` is not modified.
 */
export function previewSnapshot(portal, { planCode, usage = {}, coupon = '' }) {
  const snap = structuredClone(portal);
  const sub = activeSubscription(snap);
  const events = [];
  for (const metric of metricsOfPlan(snap, planCode)) {
    events.push(...generateEvents(metric, usage[metric.code], snap.now, sub?.external_id));
  }
  snap.events = [...(portal.events ?? []), ...events];
  const coupons = coupon ? [{ code: coupon }] : undefined;
  if (sub) {
    sub.plan_code = planCode;
    snap.request = { customer: { external_id: snap.customer?.external_id ?? sub.external_customer_id },
      subscriptions: { external_ids: [sub.external_id] } };
  } else {
    snap.request = { customer: { name: 'Prospect', currency: planByCode(snap, planCode)?.amount_currency },
      plan_code: planCode, subscription_at: snap.now };
  }
  if (coupons) snap.request.coupons = coupons;
  return snap;
}

/** The projected-usage snapshot for the same choices (null without a subscription). */
export function projectionSnapshot(portal, choices) {
  const snap = previewSnapshot(portal, { ...choices, coupon: '' });
  const sub = activeSubscription(snap);
  if (!sub) return null;
  snap.request = { external_subscription_id: sub.external_id };
  return snap;
}

/** The coupon the code names in the snapshot's organization coupons (case-insensitive). */
export function findCoupon(portal, code) {
  const c = String(code ?? '').trim().toUpperCase();
  return (portal.coupons ?? []).find((x) => x.code.toUpperCase() === c) ?? null;
}
