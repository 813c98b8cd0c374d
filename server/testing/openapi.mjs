// Every response the server tests receive, checked against the response schema of Lago's
// OpenAPI document for that path, method and status (ajv, JSON Schema 2020-12, formats on).
//
// Lago's object schemas are closed when compiled: an object schema that declares properties
// gets `unevaluatedProperties: false` unless it says otherwise, so an unknown field fails as
// a missing required one does. The closing is done on a dereferenced copy per use, so that a
// schema used as an allOf part is not closed on its own (its siblings add the other fields),
// while the object that composes it is; a oneOf/anyOf branch is closed when it is a whole
// alternative (its parent adds no fields of its own). OpenAPI 3.0's `nullable: true` is read
// as "or null".
//
// A response whose path, method or status Lago does not document fails, unless it is one of
// tariff's own extensions, all listed in EXTENSIONS below with their own schemas.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SPEC_NAME = join('shared', 'reference', 'lago-openapi.yaml');
const API_BASE = '/api/v1';

// Lago's document stays where the project keeps its reference material (beside the
// repository, or two levels up from a worktree); TARIFF_LAGO_OPENAPI names another copy.
export function specPath() {
  const candidates = [process.env.TARIFF_LAGO_OPENAPI, join(root, '..', SPEC_NAME),
    join(root, '..', '..', SPEC_NAME)].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Lago's OpenAPI document not found (tried ${candidates.join(', ')})`);
  return found;
}

// ---- tariff's own extensions: the only responses Lago's document does not describe ----
const errorDoc = (status) => status === 400 ? {
  // Lago's bad_request_error
  type: 'object', required: ['status', 'error'], additionalProperties: false,
  properties: { status: { const: 400 }, error: { type: 'string', pattern: '^BadRequest: ' } },
} : {
  type: 'object', required: ['status', 'error', 'code'],
  properties: { status: { const: status }, error: { type: 'string' }, code: { type: 'string' },
    error_details: { type: 'object' } },
  additionalProperties: false,
};
const SNAPSHOT = {
  type: 'object',
  required: ['now', 'organization', 'taxes', 'billable_metrics', 'plans', 'coupons', 'customer',
    'subscriptions', 'applied_coupons', 'wallets', 'credit_notes', 'events', 'request'],
  // invoices: the billing history the engine reads (docs/billing.md), present once the
  // server has issued an invoice for the customer.
  properties: { now: { type: 'string', format: 'date-time' }, request: { type: 'object' },
    invoices: { type: 'array', items: { type: 'object' } } },
};const COMPARE_PLANS = {
  type: 'object', required: ['plans'], additionalProperties: false,
  properties: { plans: { type: 'array', items: { type: 'object', additionalProperties: false,
    required: ['plan_code', 'total_amount_cents', 'projected_total_amount_cents', 'invoice'],
    properties: { plan_code: { type: 'string' }, total_amount_cents: { type: 'integer' },
      projected_total_amount_cents: { type: 'integer' },
      invoice: { $ref: '#/components/schemas/InvoiceObjectExtended' } } } } },
};
// method '*' = any method; path '*' = any path; path 'not Lago' = a path Lago's document
// does not have. A Lago path keeps Lago's documented statuses: only those listed here are
// added to them.
const ORGANIZATION = { $ref: '#/components/schemas/Organization' };
const IMPACT = {
  type: 'object', required: ['customers', 'summary', 'meta'], additionalProperties: false,
  properties: {
    customers: { type: 'array', items: { type: 'object', additionalProperties: false,
      required: ['external_customer_id', 'old_total_amount_cents', 'new_total_amount_cents', 'delta_amount_cents'],
      properties: { external_customer_id: { type: 'string' }, old_total_amount_cents: { type: 'integer' },
        new_total_amount_cents: { type: 'integer' }, delta_amount_cents: { type: 'integer' } } } },
    summary: { type: 'object', additionalProperties: false,
      required: ['customers', 'increased', 'decreased', 'unchanged', 'old_total_amount_cents',
        'new_total_amount_cents', 'delta_amount_cents'],
      properties: Object.fromEntries(['customers', 'increased', 'decreased', 'unchanged', 'old_total_amount_cents',
        'new_total_amount_cents', 'delta_amount_cents'].map((k) => [k, { type: 'integer' }])) },
    meta: { type: 'object', required: ['current_page', 'next_page', 'prev_page', 'total_pages', 'total_count'] },
  },
};

// The webhook delivery log (tariff's REST view of Lago's GraphQL Webhook object).
const WEBHOOK = {
  type: 'object', additionalProperties: false,
  required: ['lago_id', 'lago_webhook_endpoint_id', 'endpoint', 'webhook_type', 'object_type', 'lago_object_id',
    'status', 'retries', 'http_status', 'payload', 'response', 'created_at', 'updated_at', 'last_retried_at',
    'next_attempt_at'],
  properties: {
    lago_id: { type: 'string', format: 'uuid' }, lago_webhook_endpoint_id: { type: 'string', format: 'uuid' },
    endpoint: { type: 'string' }, webhook_type: { type: 'string' }, object_type: { type: 'string' },
    lago_object_id: { type: ['string', 'null'] },
    status: { enum: ['pending', 'succeeded', 'failed', 'retrying'] }, retries: { type: 'integer', minimum: 0 },
    http_status: { type: ['integer', 'null'] }, payload: { type: 'string' }, response: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
    last_retried_at: { type: ['string', 'null'], format: 'date-time' },
    next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
  },
};
const WEBHOOKS = {
  type: 'object', required: ['webhooks', 'meta'], additionalProperties: false,
  properties: { webhooks: { type: 'array', items: WEBHOOK },
    meta: { type: 'object', required: ['current_page', 'next_page', 'prev_page', 'total_pages', 'total_count'] } },
};

export const EXTENSIONS = [
  { method: 'GET', path: '/api/v1/webhooks/hmac_key', status: 200,
    why: "the organization's HMAC key for `hmac` webhook signatures (Lago shows it in its UI only)",
    schema: { type: 'object', required: ['webhook'], additionalProperties: false,
      properties: { webhook: { type: 'object', required: ['hmac_key'], additionalProperties: false,
        properties: { hmac_key: { type: 'string' } } } } } },
  { method: 'GET', path: '/api/v1/webhooks', status: 200, why: 'the webhook delivery log', schema: WEBHOOKS },
  { method: 'GET', path: '/api/v1/webhooks', status: 422, why: 'an unknown status filter',
    schema: { ...errorDoc(422), required: ['status', 'error', 'code', 'error_details'] } },
  { method: 'GET', path: '/api/v1/webhooks/{lago_id}', status: 200, why: 'one webhook of the delivery log',
    schema: { type: 'object', required: ['webhook'], additionalProperties: false, properties: { webhook: WEBHOOK } } },
  { method: 'POST', path: '/api/v1/webhooks/{lago_id}/retry', status: 200,
    why: "posts a webhook again at once (Lago's Webhooks::RetryService)",
    schema: { type: 'object', required: ['webhook'], additionalProperties: false, properties: { webhook: WEBHOOK } } },
  { method: 'POST', path: '/api/v1/webhooks/{lago_id}/retry', status: 405,
    why: "Lago's Webhooks::RetryService: not_allowed_failure!(code: 'is_succeeded')", schema: errorDoc(405) },
  ...['/api/v1/webhooks/{lago_id}', '/api/v1/webhooks/{lago_id}/retry'].map((path) => ({ method: '*', path, status: 404,
    why: 'unknown webhook', schema: errorDoc(404) })),
  { method: 'GET', path: '/health', status: 200, why: 'liveness probe',
    schema: { type: 'object', required: ['message', 'version'], additionalProperties: false,
      properties: { message: { type: 'string' }, version: { type: 'string' } } } },
  { method: 'GET', path: '/api/v1/customers/{external_customer_id}/snapshot', status: 200,
    why: 'the CONTRACT snapshot the server prices, for the CLI and the portal', schema: SNAPSHOT },
  { method: 'GET', path: '/api/v1/customers/{external_customer_id}/snapshot', status: 404,
    why: 'unknown customer', schema: errorDoc(404) },
  { method: 'GET', path: '/demo/snapshot', status: 200, why: '--demo portal snapshot', schema: SNAPSHOT },
  { method: 'GET', path: '/demo/snapshot', status: 404, why: 'without --demo', schema: errorDoc(404) },
  { method: 'GET', path: '/api/v1/organizations', status: 200,
    why: 'reads the organization PUT writes (Lago documents the PUT only)', schema: ORGANIZATION },
  { method: 'POST', path: '/api/v1/invoices/preview', status: 422,
    why: "the engine's validation errors (currencies or billing times not aligned, a bad request field)",
    schema: { ...errorDoc(422), required: ['status', 'error', 'code', 'error_details'] } },
  { method: 'POST', path: '/api/v1/invoices/preview', status: 400, why: 'malformed JSON body', schema: errorDoc(400) },
  { method: 'GET', path: '/api/v1/customers/{external_customer_id}/current_usage', status: 422,
    why: 'external_subscription_id missing, or a stored object the engine refuses',
    schema: { ...errorDoc(422), required: ['status', 'error', 'code', 'error_details'] } },
  { method: 'GET', path: '/api/v1/customers/{external_customer_id}/projected_usage', status: 422,
    why: 'external_subscription_id missing, or a stored object the engine refuses',
    schema: { ...errorDoc(422), required: ['status', 'error', 'code', 'error_details'] } },
  { method: 'GET', path: '/api/v1/customers/{external_customer_id}/current_usage', status: 405,
    why: "Lago's no_active_subscription", schema: errorDoc(405) },
  { method: 'GET', path: '/api/v1/customers/{external_customer_id}/projected_usage', status: 405,
    why: "Lago's no_active_subscription", schema: errorDoc(405) },
  { method: 'GET', path: '/api/v1/wallets', status: 422, why: 'external_customer_id missing',
    schema: { ...errorDoc(422), required: ['status', 'error', 'code', 'error_details'] } },
  { method: 'GET', path: '/api/v1/invoices', status: 422,
    why: "a filter Lago's InvoicesQuery refuses (validate_filters: issuing_date_from/to not a date); " +
      'InvoiceIndex#invoice_index answers render_error_response(result)',
    schema: { ...errorDoc(422), required: ['status', 'error', 'code', 'error_details'] } },
  { method: 'POST', path: '/api/v1/invoices/{lago_id}/void', status: 405,
    why: "Lago's Invoices::VoidService: result.not_allowed_failure!(code: 'not_voidable'), answered 405",
    schema: errorDoc(405) },
  { method: 'POST', path: '/api/v1/invoices/{lago_id}/void', status: 403,
    why: "Lago's Invoices::VoidService: generate_credit_note without a premium license is result.forbidden_failure! " +
      "(code 'feature_unavailable'), answered 403 by ApiErrors#forbidden_error",
    schema: errorDoc(403) },
  { method: 'PUT', path: '/api/v1/invoices/{lago_id}', status: 405,
    why: "Lago's Invoices::UpdateService on a draft: not_allowed_failure!(code: 'metadata_on_draft_invoice' / " +
      "'payment_status_update_on_draft_invoice'), answered 405", schema: errorDoc(405) },
  { method: 'PUT', path: '/api/v1/invoices/{lago_id}/refresh', status: 403,
    why: "Lago's Invoices::RefreshDraftService: result.forbidden_failure! unless invoice.subscription? " +
      "(code 'feature_unavailable'), answered 403", schema: errorDoc(403) },
  { method: 'POST', path: '/api/v1/plans/{code}/impact', status: 200,
    why: 'a proposed plan priced against every customer on it (issue 13)', schema: IMPACT },
  ...[400, 404, 422].map((status) => ({ method: 'POST', path: '/api/v1/plans/{code}/impact', status,
    why: 'impact: malformed body, unknown plan, a proposal the engine refuses', schema: errorDoc(status) })),
  // route: the invoices are previews (nothing saved), validated as Lago's preview invoice is.
  { method: 'POST', path: '/api/v1/customers/{external_customer_id}/compare_plans', status: 200,
    route: 'POST /invoices/preview',
    why: 'the current period priced on each plan (issue 11, docs/compare_plans.md)', schema: COMPARE_PLANS },
  ...[400, 404, 405, 422].map((status) => ({ method: 'POST',
    path: '/api/v1/customers/{external_customer_id}/compare_plans', status,
    why: 'compare_plans: malformed body, unknown customer, subscription or plan, no active subscription, ' +
      'a request the engine refuses', schema: errorDoc(status) })),
  { method: '*', path: '*', status: 400,
    why: "Lago's ApiErrors answers ActionController::BadRequest on every route with bad_request_error " +
      '(a body that is not JSON, a path or query that is not UTF-8)', schema: errorDoc(400) },
  { method: '*', path: 'not Lago', status: 404, why: 'unknown route', schema: errorDoc(404) },
  { method: '*', path: '*', status: 405, why: 'known path, other method', schema: errorDoc(405) },
  { method: '*', path: '*', status: 413, why: 'body over the size limit', schema: errorDoc(413) },
  { method: '*', path: '*', status: 429, why: 'per-key rate limit', schema: errorDoc(429) },
];

// ---- corrections: where Lago's document contradicts Lago's own code ----
// Each is applied to the component schemas before anything is compiled (only for the
// responses of `route` when one is given); nothing else of the document is changed. `why`
// cites the Lago code that answers otherwise.
const orNull = (schema, prop) => {
  const p = schema.properties[prop];
  p.type = [...new Set([...(Array.isArray(p.type) ? p.type : [p.type]), 'null'])];
};
export const CORRECTIONS = [
  { schema: 'EventsErrorsObject', why: "types missing_group_key as an array; Lago's Events::PostValidationService " +
      'never fills it and EventsValidationErrorsSerializer sends model[:missing_group_key]: nil',
    apply: (S) => orNull(S.EventsErrorsObject, 'missing_group_key') },
  { schema: 'WalletObject', why: "requires `balance`, which Lago's WalletSerializer no longer sends (nor declares)",
    apply: (S) => { S.WalletObject.required = S.WalletObject.required.filter((r) => r !== 'balance'); } },
  { schema: 'CustomerProjectedChargeUsageObject', why: "requires `groups`, which it never declares and Lago's " +
      'ProjectedChargeUsageSerializer never sends (its groups are `grouped_usage`)',
    apply: (S) => {
      const o = S.CustomerProjectedChargeUsageObject;
      o.required = o.required.filter((r) => r !== 'groups');
    } },
  { schema: 'FeeObject', why: 'types total_aggregated_units as a string; Lago sets Fee#total_aggregated_units ' +
      'on charge and fixed-charge fees only and FeeSerializer sends it as is: null on subscription and commitment fees',
    apply: (S) => orNull(S.FeeObject, 'total_aggregated_units') },
  { schema: 'EventObject', why: 'event property values are oneOf [string, integer, number]: an integer ' +
      'matches two branches, and Lago keeps properties as given (Events::CreateService permits the whole hash, ' +
      'stored as jsonb; EventSerializer sends model.properties): any JSON value, nested ones included',
    apply: (S) => { S.EventObject.properties.properties.additionalProperties = {}; } },
  { schema: 'Currency', why: "lists 138 currencies; Lago's Currencies concern (ACCEPTED_CURRENCIES) accepts 142: " +
      'BHD, IRR, JOD and KWD too', apply: (S) => { S.Currency.enum.push('BHD', 'IRR', 'JOD', 'KWD'); } },
  { schema: 'InvoiceBaseObject', why: "does not declare total_due_amount_cents, which Lago's InvoiceSerializer sends",
    apply: (S) => { S.InvoiceBaseObject.properties.total_due_amount_cents = { type: 'integer' }; } },
  { schema: 'InvoiceBaseObject', why: "types file_url as a string; Lago's Invoice#file_url returns nil while no PDF " +
      'was generated (`return if file.blank?`) and InvoiceSerializer sends model.file_url as is',
    apply: (S) => orNull(S.InvoiceBaseObject, 'file_url') },
  { schema: 'InvoiceBaseObject', why: "lists no `advance_charges` invoice_type; Lago's Invoice::INVOICE_TYPES has it " +
      '(Invoices::AdvanceChargesService issues them) and the document lists it for the invoice_type filter of GET /invoices',
    apply: (S) => { S.InvoiceBaseObject.properties.invoice_type.enum.push('advance_charges'); } },
  { schema: 'InvoiceBaseObject', why: "does not declare voided_at, which Lago's InvoiceSerializer always sends " +
      '(model.voided_at&.iso8601: null until the invoice is voided)',
    apply: (S) => { S.InvoiceBaseObject.properties.voided_at = { type: ['string', 'null'], format: 'date-time' }; } },
  { schema: 'CreditNoteItemObject', why: "does not declare precise_amount_cents, which Lago's CreditNoteItemSerializer " +
      'sends (model.precise_amount_cents&.to_s)',
    apply: (S) => { S.CreditNoteItemObject.properties.precise_amount_cents = { type: ['string', 'null'] }; } },
  { schema: 'Customer(Projected)ChargeFiltersUsageObject', why: "Lago's (Projected)ChargeUsageSerializer#build_filter_data " +
      'sends charge_filter&.invoice_display_name and charge_filter&.to_h: null for the fees no filter matched ' +
      '(the default bucket), and null for a filter without a display name',
    apply: (S) => {
      for (const n of ['CustomerChargeFiltersUsageObject', 'CustomerProjectedChargeFiltersUsageObject']) {
        orNull(S[n].items, 'invoice_display_name');
        orNull(S[n].items, 'values');
      }
    } },
  { schema: 'CustomerProjectedChargeUsageObject', why: "the projected charge's invoice_display_name is " +
      "fee.charge.invoice_display_name in Lago's ProjectedChargeUsageSerializer, nil when the charge has none " +
      '(the current-usage schema already allows null)',
    apply: (S) => orNull(S.CustomerProjectedChargeUsageObject.properties.charge, 'invoice_display_name') },
  { route: 'PUT /subscriptions/{external_id}', schema: 'SubscriptionObject',
    why: "answers the update with SubscriptionObject; Lago's SubscriptionsController#update renders it with " +
      'includes: %i[plan applicable_usage_thresholds ...], as create and show (SubscriptionObjectExtended)',
    apply: (S) => {
      S.SubscriptionObject.properties.applicable_usage_thresholds = {
        type: 'array', items: { $ref: '#/components/schemas/ApplicableUsageThreshold' } };
    } },
  { route: 'POST /invoices/preview',
    schema: 'InvoiceBaseObject, BaseAppliedTax, InvoiceAppliedTaxObject, CreditObject, CustomerBaseObject, SubscriptionObject',
    why: 'Lago builds the preview invoice in memory and saves nothing (Invoices::PreviewService: Invoice.new, ' +
      'credits and applied taxes built, not created; a new customer and the subscriptions it previews are ' +
      'Customer.new / Subscription.new): the ids, number and sequential_id of the invoice, the ids and creation ' +
      "times of its applied taxes and credits, and a new customer's or built subscription's ids (so the item id of " +
      'its subscription fee) are nil',
    apply: (S) => {
      for (const p of ['lago_id', 'sequential_id', 'slug', 'external_id']) orNull(S.CustomerBaseObject, p);
      for (const p of ['lago_id', 'external_id', 'lago_customer_id', 'external_customer_id']) orNull(S.SubscriptionObject, p);
      orNull(S.FeeObject.properties.item, 'lago_item_id');  // the fee of a built subscription is for it
      for (const p of ['lago_id', 'sequential_id', 'number']) orNull(S.InvoiceBaseObject, p);
      for (const p of ['lago_id', 'created_at']) orNull(S.BaseAppliedTax, p);
      orNull(S.InvoiceAppliedTaxObject, 'lago_invoice_id');
      orNull(S.CreditObject, 'lago_id');
      orNull(S.CreditObject.properties.invoice, 'lago_id');
    } },
];

// ---- schema preparation ----
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'deprecated', 'default', 'title',
  'readOnly', 'writeOnly']);

function lookup(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
  let node = doc;
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
  }
  return node;
}

// A fresh, fully dereferenced copy (Lago's schemas have no cycles; a cycle would throw).
function deref(doc, node, stack = []) {
  if (Array.isArray(node)) return node.map((n) => deref(doc, n, stack));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    if (stack.includes(node.$ref)) throw new Error(`cyclic $ref ${node.$ref}`);
    const target = deref(doc, lookup(doc, node.$ref), [...stack, node.$ref]);
    const siblings = Object.keys(node).filter((k) => k !== '$ref' && !ANNOTATIONS.has(k));
    if (siblings.length === 0) return target;
    const rest = Object.fromEntries(siblings.map((k) => [k, deref(doc, node[k], stack)]));
    return { ...rest, allOf: [target, ...(rest.allOf ?? [])] };
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'examples') continue;
    // `properties` maps names to schemas: a property may be called "$ref" or "type".
    out[k] = k === 'properties'
      ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, deref(doc, s, stack)]))
      : deref(doc, v, stack);
  }
  return out;
}

// OpenAPI 3.0 `nullable: true` → JSON Schema "or null". A type that allows null allows it
// in its enum too (the document writes `type: [string, 'null']` beside an enum of strings,
// e.g. a subscription's cancellation_reason), as `nullable` always meant.
function nullable(s) {
  if (Array.isArray(s.type) && s.type.includes('null') && Array.isArray(s.enum) && !s.enum.includes(null)) {
    s.enum = [...s.enum, null];
  }
  if (!s.nullable) { delete s.nullable; return s; }
  delete s.nullable;
  if (s.type !== undefined) {
    s.type = [...new Set([...(Array.isArray(s.type) ? s.type : [s.type]), 'null'])];
    if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
    return s;
  }
  const inner = { ...s };
  for (const k of Object.keys(s)) delete s[k];
  s.anyOf = [inner, { type: 'null' }];
  return s;
}

const hasProps = (s) => s && typeof s === 'object' &&
  ((s.properties && Object.keys(s.properties).length > 0) ||
    ['allOf', 'oneOf', 'anyOf'].some((k) => Array.isArray(s[k]) && s[k].some(hasProps)));

// Closes every object schema that declares properties; `part` = this schema is a piece of a
// larger object (an allOf member, or a oneOf/anyOf branch beside the parent's own fields).
export function close(s, part = false) {
  if (Array.isArray(s)) { s.forEach((x) => close(x, false)); return s; }
  if (!s || typeof s !== 'object') return s;
  nullable(s);
  // A field Lago's document requires is a field it knows, even where it forgets to declare
  // it (OrganizationObject requires `email_settings` and lists no such property).
  if (Array.isArray(s.required) && s.properties) {
    for (const r of s.required) if (!(r in s.properties)) s.properties[r] = {};
  }
  for (const [p, v] of Object.entries(s.properties ?? {})) s.properties[p] = close(v, false);
  for (const k of ['items', 'additionalProperties', 'not', 'contains']) {
    if (s[k] && typeof s[k] === 'object') close(s[k], false);
  }
  if (Array.isArray(s.prefixItems)) s.prefixItems.forEach((x) => close(x, false));
  if (Array.isArray(s.allOf)) s.allOf.forEach((x) => close(x, true));
  const ownFields = part || (s.properties && Object.keys(s.properties).length > 0) ||
    (Array.isArray(s.allOf) && s.allOf.some(hasProps));
  for (const k of ['oneOf', 'anyOf']) if (Array.isArray(s[k])) s[k].forEach((x) => close(x, ownFields));
  if (!part && hasProps(s) && s.additionalProperties === undefined &&
      s.unevaluatedProperties === undefined) {
    s.unevaluatedProperties = false;
  }
  return s;
}

// ---- the validator ----
function templateRegex(template) {
  const src = template.split(/\{[^}]+\}/).map((t) => t.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+');
  return new RegExp(`^${src}$`);
}
const params = (t) => (t.match(/\{/g) ?? []).length;

export function createValidator(file = specPath()) {
  const text = readFileSync(file, 'utf8');
  const corrected = (route) => {
    const d = YAML.parse(text);
    for (const c of CORRECTIONS) if (!c.route || c.route === route) c.apply(d.components.schemas);
    return d;
  };
  const doc = corrected(null);
  const routeDocs = new Map();  // route → the document with that route's corrections too
  const docFor = (route) => {
    if (!CORRECTIONS.some((c) => c.route === route)) return doc;
    if (!routeDocs.has(route)) routeDocs.set(route, corrected(route));
    return routeDocs.get(route);
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // Formats Lago's document names that no standard defines: annotations only.
  for (const f of ['object', '^[0-9]+.?[0-9]*$']) ajv.addFormat(f, true);

  // Most specific first: fewer {params}, then longer literal text.
  const routes = Object.keys(doc.paths)
    .map((p) => ({ template: p, full: API_BASE + p, re: templateRegex(API_BASE + p), ops: doc.paths[p] }))
    .sort((a, b) => params(a.template) - params(b.template) || b.template.length - a.template.length);
  const extensions = EXTENSIONS.map((e) => ({ ...e, re: e.path === '*' || e.path === 'not Lago' ? null : templateRegex(e.path) }));
  const compiled = new Map();
  const stats = { validated: 0, byRoute: new Map() };

  function compile(key, route, schema) {
    if (!compiled.has(key)) {
      // The schema's $refs are resolved in the document as corrected for its route.
      compiled.set(key, ajv.compile(close(deref(docFor(route), schema))));
    }
    return compiled.get(key);
  }

  // {key, schema} for a response, or {error} when neither Lago nor an extension covers it.
  function resolveSchema(method, path, status) {
    const m = method.toLowerCase();
    const route = routes.find((r) => r.re.test(path) && r.ops[m]) ?? routes.find((r) => r.re.test(path));
    const ext = (e) => (e.method === '*' || e.method === method) && e.status === status &&
      (e.re ? e.re.test(path) : e.path === '*' || !route);
    const op = route?.ops[m];
    let response = op?.responses?.[String(status)];
    if (response) {
      if (response.$ref) response = lookup(doc, response.$ref);
      const schema = response.content?.['application/json']?.schema;
      if (!schema) return { error: `Lago documents ${method} ${route.template} ${status} without a JSON body` };
      return { key: `${method} ${route.template} ${status}`, route: `${method} ${route.template}`,
        label: `${method} ${route.template} ${status}`, schema };
    }
    // Tariff's own paths first, then the status-wide extensions.
    const own = extensions.find((e) => e.re && ext(e)) ?? extensions.find((e) => !e.re && ext(e));
    if (own) {
      return { key: `ext ${own.method} ${own.path} ${status}`, route: own.route,
        label: `${method} ${route?.template ?? path} ${status} (tariff extension: ${own.why})`, schema: own.schema };
    }
    if (!route) return { error: `${method} ${path}: not a path of Lago's API` };
    if (!op) return { error: `${method} ${route.template}: Lago has no such operation` };
    return { error: `${method} ${route.template}: Lago documents no ${status} response` };
  }

  // Throws with every schema error; returns the label of the schema it matched.
  function check(method, rawPath, status, body) {
    const path = rawPath.split('?')[0];
    const r = resolveSchema(method.toUpperCase(), path, status);
    if (r.error) throw new Error(`OpenAPI: ${r.error}`);
    const validate = compile(r.key, r.route, r.schema);
    if (!validate(body)) {
      const errors = validate.errors.slice(0, 25).map((e) => {
        const extra = e.params?.unevaluatedProperty ?? e.params?.additionalProperty ?? e.params?.missingProperty;
        return `  ${e.instancePath || '/'} ${e.message}${extra ? `: ${extra}` : ''}`;
      });
      throw new Error(`OpenAPI: ${r.label}: response does not match Lago's schema\n${errors.join('\n')}` +
        `${validate.errors.length > 25 ? `\n  ... ${validate.errors.length - 25} more` : ''}`);
    }
    stats.validated += 1;
    stats.byRoute.set(r.label, (stats.byRoute.get(r.label) ?? 0) + 1);
    return r.label;
  }

  // A webhook body (what Lago posts to an endpoint), checked against the request body of the
  // webhook Lago's document names after its type ("invoice.created" → webhooks.invoice_created).
  function checkWebhook(body) {
    const name = String(body?.webhook_type).replace(/\./g, '_');
    const schema = doc.webhooks?.[name]?.post?.requestBody?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`OpenAPI: no webhook ${name} in Lago's document`);
    const validate = compile(`webhook ${name}`, null, schema);
    if (!validate(body)) {
      const errors = validate.errors.slice(0, 25).map((e) => {
        const extra = e.params?.unevaluatedProperty ?? e.params?.additionalProperty ?? e.params?.missingProperty;
        return `  ${e.instancePath || '/'} ${e.message}${extra ? `: ${extra}` : ''}`;
      });
      throw new Error(`OpenAPI: webhook ${name}: body does not match Lago's schema\n${errors.join('\n')}`);
    }
    stats.validated += 1;
    stats.byRoute.set(`webhook ${name}`, (stats.byRoute.get(`webhook ${name}`) ?? 0) + 1);
    return name;
  }

  return { check, checkWebhook, stats, resolveSchema };
}

// One validator per process, built on first use.
let shared;
export function validator() {
  if (!shared) {
    shared = createValidator();
    process.on('exit', () => {
      if (shared.stats.validated === 0) return;
      process.stderr.write(`openapi: ${shared.stats.validated} responses validated against Lago's ` +
        `OpenAPI (${shared.stats.byRoute.size} path/method/status schemas)\n`);
    });
  }
  return shared;
}
