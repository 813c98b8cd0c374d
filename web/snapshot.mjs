// Builds the snapshots the portal sends to the engine, from the loaded portal snapshot and the
// visitor's choices (plan, what-if usage per metric, coupon code). Pure and DOM-free: the
// browser test builds the very same snapshots for the native CLI.
//
// With an active subscription the preview is Lago's projection of the next invoice, with the
// chosen plan put in the subscription's place (a what-if); without one it is a proposal for a
// new customer (plan_code + subscription_at = now).
//
// What-if usage REPLACES the period's usage of a metric: the subscription's events of that code
// in the current period (every one of them for a recurring metric, whose value carries over
// periods) are taken out, and events making exactly the chosen value are put in at `now`: one
// event carrying the value for sum/max/latest/weighted metrics, N events for count, N distinct
// values for unique count. A metric the visitor has not touched keeps its real events.

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

const instant = (t) => Date.parse(typeof t === 'number' ? new Date(t * 1000).toISOString() : t);

/** The snapshot with the chosen plan in the active subscription's place (a copy). */
export function withPlan(portal, planCode) {
  const snap = structuredClone(portal);
  const sub = activeSubscription(snap);
  if (sub && planCode) sub.plan_code = planCode;
  return snap;
}

/**
 * The events with the what-if usage in place: for each overridden metric the subscription's
 * events of that code since `periodFrom` (all of them for a recurring metric) are replaced by
 * events making exactly the chosen value.
 */
export function whatIfEvents(portal, planCode, overrides = {}, periodFrom = null) {
  const sub = activeSubscription(portal);
  const metrics = metricsOfPlan(portal, planCode).filter((m) => overrides[m.code] !== undefined);
  const replaced = new Set(metrics.map((m) => m.code));
  const from = periodFrom ? Date.parse(periodFrom) : -Infinity;
  const kept = (portal.events ?? []).filter((e) => {
    if (!replaced.has(e.code)) return true;
    if (sub && e.external_subscription_id && e.external_subscription_id !== sub.external_id) return true;
    const metric = metrics.find((m) => m.code === e.code);
    if (metric.recurring) return false;
    return instant(e.timestamp) < from;
  });
  const added = metrics.flatMap((m) => generateEvents(m, overrides[m.code], portal.now, sub?.external_id));
  return [...kept, ...added];
}

/**
 * The preview snapshot for { planCode, overrides: {metric_code: value}, coupon, periodFrom }.
 * `explain` asks the engine for each fee's explanation. Returns a new object.
 */
export function previewSnapshot(portal, { planCode, overrides = {}, coupon = '', periodFrom = null, explain = true }) {
  const snap = withPlan(portal, planCode);
  const sub = activeSubscription(snap);
  snap.events = whatIfEvents(portal, planCode, overrides, periodFrom);
  if (sub) {
    snap.request = { customer: { external_id: snap.customer?.external_id ?? sub.external_customer_id },
      subscriptions: { external_ids: [sub.external_id] } };
  } else {
    snap.request = { customer: { name: 'Prospect', currency: planByCode(snap, planCode)?.amount_currency },
      plan_code: planCode, subscription_at: snap.now };
  }
  if (coupon) snap.request.coupons = [{ code: coupon }];
  if (explain) snap.request.explain = true;
  return snap;
}

/** current_usage / projected_usage for the same choices (null without a subscription). */
export function usageSnapshot(portal, { planCode, overrides = {}, periodFrom = null }) {
  const sub = activeSubscription(portal);
  if (!sub) return null;
  const snap = withPlan(portal, planCode);
  snap.events = whatIfEvents(portal, planCode, overrides, periodFrom);
  snap.request = { external_subscription_id: sub.external_id };
  return snap;
}

/**
 * The day-by-day series of usage so far: for each day of the period up to now, the
 * current_usage snapshot as of the end of that day (now = that instant, the events up to it).
 * `period` is current_usage's {from_datetime, to_datetime} for the plan. Days are 24 h steps
 * from the period start (local midnight), the last one ending at now.
 */
export function seriesSnapshots(portal, { planCode, period }) {
  const sub = activeSubscription(portal);
  if (!sub || !period) return [];
  const from = Date.parse(period.from_datetime);
  const now = Date.parse(portal.now);
  const out = [];
  for (let end = from + 86_400_000; ; end += 86_400_000) {
    const at = Math.min(end - 1000, now);
    const snap = withPlan(portal, planCode);
    snap.now = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    snap.events = (portal.events ?? []).filter((e) => instant(e.timestamp) <= at);
    snap.request = { external_subscription_id: sub.external_id };
    out.push({ at: snap.now, snapshot: snap });
    if (at >= now) break;
  }
  return out;
}

/** compare_plans on the what-if usage: every plan in the customer's currency. */
export function compareSnapshot(portal, { planCode, overrides = {}, periodFrom = null, explain = false }) {
  const sub = activeSubscription(portal);
  if (!sub) return null;
  const snap = structuredClone(portal);
  snap.events = whatIfEvents(portal, planCode, overrides, periodFrom);
  snap.request = { external_subscription_id: sub.external_id };
  if (explain) snap.request.explain = true;
  return snap;
}

/** The coupon the code names in the snapshot's organization coupons (case-insensitive). */
export function findCoupon(portal, code) {
  const c = String(code ?? '').trim().toUpperCase();
  return (portal.coupons ?? []).find((x) => x.code.toUpperCase() === c) ?? null;
}

/** The credit lines the invoice carries for a coupon code. */
export function couponCredits(invoice, code) {
  return (invoice?.credits ?? []).filter((c) => c.item?.type === 'coupon' &&
    String(c.item?.code ?? '').toUpperCase() === String(code).toUpperCase());
}

/**
 * Why a coupon the engine did not apply cannot apply here, from the coupon's own terms (Lago's
 * applicability rules), or a general reason when none of them explains it.
 */
export function couponReason(portal, coupon, { planCode, invoice }) {
  const now = Date.parse(portal.now);
  if (!coupon) return 'is not a valid coupon code';
  if (coupon.status === 'terminated') return 'is no longer offered';
  if (coupon.expiration === 'time_limit' && coupon.expiration_at && Date.parse(coupon.expiration_at) < now) {
    return `expired on ${String(coupon.expiration_at).slice(0, 10)}`;
  }
  const currency = invoice?.currency;
  if (coupon.coupon_type === 'fixed_amount' && currency && coupon.amount_currency &&
      coupon.amount_currency !== currency) {
    return `is in ${coupon.amount_currency}, the invoice in ${currency}`;
  }
  // Limits at the top (Lago's Coupon object) or in applies_to (its create input), as the engine reads them.
  const limit = (key, flag) => (coupon[flag] === false ? []
    : (coupon[key]?.length ? coupon[key] : coupon.applies_to?.[key] ?? []));
  const plans = limit('plan_codes', 'limited_plans');
  if (plans.length && !plans.includes(planCode)) {
    return `applies only to the plan${plans.length > 1 ? 's' : ''} ${plans.join(', ')}`;
  }
  const metrics = limit('billable_metric_codes', 'limited_billable_metrics');
  if (metrics.length && !metricsOfPlan(portal, planCode).some((m) => metrics.includes(m.code))) {
    return `applies only to ${metrics.join(', ')} usage, which this plan does not charge`;
  }
  const applied = (portal.applied_coupons ?? []).some((a) => a.coupon_code === coupon.code &&
    (a.status ?? 'active') === 'active');
  if (applied && coupon.reusable === false) return 'is already on your account and cannot be applied twice';
  if (invoice && Number(invoice.fees_amount_cents) === 0) return 'has nothing to discount: this invoice has no fees';
  return 'does not apply to this invoice';
}
