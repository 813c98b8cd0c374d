// Types for the tariff package, written by hand (Emscripten 3.1.6 emits none). Shapes are
// Lago's public API objects (lago-openapi.yaml): the snapshot a Lago user pastes in, and the
// Invoice / CustomerUsage / CustomerProjectedUsage / Fee objects the engine answers with.
// Lago's own objects carry more fields than listed here; the index signatures keep them open.

/** ISO 4217 code, e.g. "USD", "EUR", "JPY". */
export type Currency = string;
/** ISO 8601 instant ("2024-03-15T12:00:00Z"). */
export type Timestamp = string;
/** A decimal number as text ("0.0125"): money and quantities never travel as floats. */
export type DecimalString = string;

export interface Organization {
  timezone?: string;
  default_currency?: Currency;
  tax_codes?: string[];
  invoice_grace_period?: number;
  net_payment_term?: number;
  document_locale?: string;
  [key: string]: unknown;
}

export interface Tax {
  code: string;
  name?: string;
  rate: DecimalString | number;
  applied_to_organization?: boolean;
  description?: string | null;
  [key: string]: unknown;
}

export type AggregationType = 'count_agg' | 'sum_agg' | 'max_agg' | 'unique_count_agg'
  | 'weighted_sum_agg' | 'latest_agg' | 'custom_agg';

export interface BillableMetricFilter { key: string; values: string[] }

export interface BillableMetric {
  code: string;
  name?: string;
  aggregation_type: AggregationType;
  field_name?: string | null;
  expression?: string | null;
  recurring?: boolean;
  weighted_interval?: 'seconds' | null;
  rounding_function?: 'round' | 'ceil' | 'floor' | null;
  rounding_precision?: number | null;
  filters?: BillableMetricFilter[];
  [key: string]: unknown;
}

export type ChargeModel = 'standard' | 'graduated' | 'graduated_percentage' | 'package'
  | 'percentage' | 'volume' | 'dynamic' | 'custom';

export interface ChargeFilter {
  invoice_display_name?: string | null;
  properties: Record<string, unknown>;
  values: Record<string, string[]>;
}

export interface Charge {
  billable_metric_code: string;
  charge_model: ChargeModel;
  invoice_display_name?: string | null;
  pay_in_advance?: boolean;
  invoiceable?: boolean;
  prorated?: boolean;
  min_amount_cents?: number;
  properties?: Record<string, unknown>;
  filters?: ChargeFilter[];
  tax_codes?: string[];
  taxes?: Tax[];
  applied_pricing_unit?: { code: string; conversion_rate: DecimalString | number } | null;
  [key: string]: unknown;
}

export interface Plan {
  code: string;
  name?: string;
  invoice_display_name?: string | null;
  description?: string | null;
  interval: 'weekly' | 'monthly' | 'quarterly' | 'semiannual' | 'yearly';
  amount_cents: number;
  amount_currency: Currency;
  trial_period?: number | null;
  pay_in_advance?: boolean;
  bill_charges_monthly?: boolean | null;
  bill_fixed_charges_monthly?: boolean | null;
  charges?: Charge[];
  fixed_charges?: Record<string, unknown>[];
  minimum_commitment?: { amount_cents: number; invoice_display_name?: string | null;
    tax_codes?: string[] } | null;
  usage_thresholds?: Record<string, unknown>[];
  tax_codes?: string[];
  taxes?: Tax[];
  [key: string]: unknown;
}

export interface Coupon {
  code: string;
  name?: string;
  coupon_type: 'fixed_amount' | 'percentage';
  amount_cents?: number | null;
  amount_currency?: Currency | null;
  percentage_rate?: DecimalString | number | null;
  frequency: 'once' | 'recurring' | 'forever';
  frequency_duration?: number | null;
  reusable?: boolean;
  limited_plans?: boolean;
  plan_codes?: string[];
  limited_billable_metrics?: boolean;
  billable_metric_codes?: string[];
  expiration?: 'no_expiration' | 'time_limit';
  expiration_at?: Timestamp | null;
  [key: string]: unknown;
}

export interface Customer {
  external_id?: string;
  name?: string | null;
  currency?: Currency | null;
  timezone?: string | null;
  invoice_grace_period?: number | null;
  net_payment_term?: number | null;
  tax_codes?: string[];
  [key: string]: unknown;
}

export interface Subscription {
  external_id: string;
  external_customer_id?: string;
  plan_code: string;
  name?: string | null;
  status?: 'active' | 'pending' | 'terminated' | 'canceled';
  billing_time?: 'calendar' | 'anniversary';
  subscription_at?: Timestamp | null;
  started_at?: Timestamp | null;
  ending_at?: Timestamp | null;
  terminated_at?: Timestamp | null;
  plan_overrides?: Partial<Plan>;
  [key: string]: unknown;
}

export interface AppliedCoupon {
  coupon_code: string;
  amount_cents?: number | null;
  amount_cents_remaining?: number | null;
  amount_currency?: Currency | null;
  percentage_rate?: DecimalString | number | null;
  frequency?: 'once' | 'recurring' | 'forever';
  frequency_duration?: number | null;
  frequency_duration_remaining?: number | null;
  created_at?: Timestamp;
  [key: string]: unknown;
}

export interface Wallet {
  balance_cents: number;
  rate_amount: DecimalString | number;
  currency: Currency;
  priority?: number;
  created_at?: Timestamp;
  applies_to?: { fee_types?: string[]; billable_metric_codes?: string[] };
  [key: string]: unknown;
}

export interface CreditNote {
  balance_amount_cents: number;
  currency: Currency;
  credit_status?: 'available' | 'consumed' | 'voided';
  created_at?: Timestamp;
  [key: string]: unknown;
}

export interface Event {
  transaction_id: string;
  external_subscription_id?: string;
  code: string;
  /** ISO 8601 text, or Unix seconds (integer or decimal string). */
  timestamp?: Timestamp | number | string;
  properties?: Record<string, unknown>;
  precise_total_amount_cents?: DecimalString | null;
}

/** Lago InvoicePreviewInput. */
export interface InvoicePreviewRequest {
  customer: Customer;
  plan_code?: string;
  subscription_at?: Timestamp;
  billing_time?: 'calendar' | 'anniversary';
  coupons?: Partial<Coupon>[];
  subscriptions?: { external_ids: string[]; plan_code?: string; terminated_at?: Timestamp };
  billing_entity_code?: string;
}

export interface UsageRequest { external_subscription_id: string }
/** Lago EventEstimateFeesInput. */
export interface EstimateFeesRequest { event: Omit<Event, 'transaction_id'> & { transaction_id?: string } }

/** Everything one calculation needs (CONTRACT §1). `now` is the clock. */
export interface Snapshot<Request = unknown> {
  now: Timestamp;
  organization?: Organization;
  taxes?: Tax[];
  billable_metrics?: BillableMetric[];
  plans?: Plan[];
  coupons?: Coupon[];
  customer?: Customer | null;
  subscriptions?: Subscription[];
  applied_coupons?: AppliedCoupon[];
  wallets?: Wallet[];
  credit_notes?: CreditNote[];
  events?: Event[];
  /** What was already billed (docs/billing.md): invoices as `bill` returned them, each with
   *  its invoice_subscriptions. Absent: history is implied by dates. */
  invoices?: { lago_id?: string | null; invoice_subscriptions: InvoiceSubscription[];
    [key: string]: unknown }[];
  request?: Request;
}

// ---- results ----

export interface FeeItem {
  type: 'subscription' | 'charge' | 'fixed_charge' | 'commitment' | 'add_on' | 'credit';
  code: string;
  name: string;
  invoice_display_name?: string | null;
  filter_invoice_display_name?: string | null;
  filters?: Record<string, string[]> | null;
  grouped_by?: Record<string, string | null>;
  [key: string]: unknown;
}

/** Lago Fee. */
export interface Fee {
  lago_id?: string | null;
  amount_cents: number;
  precise_amount?: DecimalString;
  amount_currency: Currency;
  taxes_amount_cents: number;
  taxes_precise_amount?: DecimalString;
  taxes_rate: number;
  units: DecimalString;
  total_aggregated_units?: DecimalString | null;  // null on subscription and commitment fees
  precise_unit_amount: DecimalString;
  total_amount_cents: number;
  total_amount_currency?: Currency;
  precise_total_amount?: DecimalString;
  events_count?: number | null;
  pay_in_advance: boolean;
  invoiceable: boolean;
  from_date?: Timestamp | null;
  to_date?: Timestamp | null;
  precise_coupons_amount_cents?: DecimalString;
  sub_total_excluding_taxes_amount_cents?: number;
  sub_total_excluding_taxes_precise_amount_cents?: DecimalString;
  amount_details?: Record<string, unknown>;
  item: FeeItem;
  pricing_unit_details?: Record<string, unknown> | null;
  [key: string]: unknown;
}

export interface InvoiceAppliedTax {
  tax_code: string;
  tax_name: string;
  tax_rate: number;
  amount_cents: number;
  amount_currency?: Currency;
  fees_amount_cents?: number;
  [key: string]: unknown;
}

export interface InvoiceCredit {
  amount_cents: number;
  amount_currency?: Currency;
  before_taxes: boolean;
  item: { type: 'coupon' | 'credit_note' | 'invoice'; code?: string | null; name?: string | null;
    [key: string]: unknown };
  [key: string]: unknown;
}

/** Lago Invoice (preview: ids and URLs are null). */
export interface Invoice {
  lago_id?: string | null;
  number?: string | null;
  issuing_date: string;
  payment_due_date?: string;
  net_payment_term?: number;
  invoice_type: 'subscription' | 'add_on' | 'credit' | 'one_off' | 'progressive_billing';
  status: 'draft' | 'finalized' | 'voided' | 'failed' | 'pending';
  payment_status: 'pending' | 'succeeded' | 'failed';
  currency: Currency;
  fees_amount_cents: number;
  coupons_amount_cents: number;
  credit_notes_amount_cents: number;
  sub_total_excluding_taxes_amount_cents: number;
  taxes_amount_cents: number;
  sub_total_including_taxes_amount_cents: number;
  prepaid_credit_amount_cents: number;
  progressive_billing_credit_amount_cents: number;
  total_amount_cents: number;
  total_due_amount_cents?: number;
  version_number: number;
  fees: Fee[];
  credits?: InvoiceCredit[];
  applied_taxes?: InvoiceAppliedTax[];
  subscriptions?: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface ChargeFilterUsage {
  units: DecimalString;
  amount_cents: number;
  events_count: number;
  invoice_display_name?: string | null;
  values: Record<string, string[]> | null;
  [key: string]: unknown;
}

export interface ChargeGroupedUsage {
  units: DecimalString;
  amount_cents: number;
  events_count: number;
  grouped_by: Record<string, string | null>;
  filters?: ChargeFilterUsage[];
  [key: string]: unknown;
}

export interface ChargeUsage {
  units: DecimalString;
  total_aggregated_units?: DecimalString;
  events_count: number;
  amount_cents: number;
  amount_currency: Currency;
  charge: Record<string, unknown>;
  billable_metric: { code: string; name?: string; aggregation_type?: AggregationType;
    [key: string]: unknown };
  filters?: ChargeFilterUsage[];
  grouped_usage?: ChargeGroupedUsage[];
  pricing_unit_details?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** Lago CustomerUsage. */
export interface CustomerUsage {
  from_datetime: Timestamp;
  to_datetime: Timestamp;
  issuing_date: string;
  lago_invoice_id?: string | null;
  currency: Currency;
  amount_cents: number;
  taxes_amount_cents: number;
  total_amount_cents: number;
  charges_usage: ChargeUsage[];
  [key: string]: unknown;
}

export interface ProjectedChargeUsage extends ChargeUsage {
  projected_units: DecimalString;
  projected_amount_cents: number;
}

/** Lago CustomerProjectedUsage. */
export interface CustomerProjectedUsage extends Omit<CustomerUsage, 'charges_usage'> {
  projected_amount_cents: number;
  charges_usage: ProjectedChargeUsage[];
}

export interface PreviewResult { invoices: Invoice[] }
export interface CurrentUsageResult { customer_usage: CustomerUsage }
export interface ProjectedUsageResult { customer_projected_usage: CustomerProjectedUsage }
export interface EstimateFeesResult { fees: Fee[] }

// ---- bill (docs/billing.md) ----

export type InvoicingReason = 'subscription_periodic' | 'subscription_starting'
  | 'subscription_terminating' | 'upgrading' | 'in_advance_charge' | 'in_advance_charge_periodic';

/** The invoice Lago issues at `billing_at` (default: snapshot.now; never after it). */
export interface BillRequest {
  invoicing_reason: InvoicingReason;
  billing_at?: Timestamp;
  /** periodic: one or more subscriptions due at billing_at; other reasons: exactly one. */
  external_subscription_ids?: string[];
  /** upgrading: the new plan. */
  plan_code?: string;
  /** in_advance_charge: the Lago Event (its timestamp is the billing instant). */
  event?: { transaction_id: string; external_subscription_id: string; code: string;
    timestamp?: Timestamp; properties?: Record<string, unknown>;
    precise_total_amount_cents?: DecimalString | number };
  /** A draft recomputed at its billing_at: kept a draft (refresh) or finalized at finalized_at. */
  refresh?: boolean;
  finalize?: boolean;
  finalized_at?: Timestamp;
}

/** One subscription on an issued invoice: the idempotence key the server stores. */
export interface InvoiceSubscription {
  external_subscription_id: string;
  plan_code?: string;
  invoicing_reason: Exclude<InvoicingReason, 'upgrading'>;
  timestamp: Timestamp;
  from_datetime: Timestamp;
  to_datetime: Timestamp;
  charges_from_datetime?: Timestamp;
  charges_to_datetime?: Timestamp;
  event_transaction_id?: string;
}

export interface AppliedCouponChange {
  lago_id: string | null;
  coupon_code: string;
  frequency: 'once' | 'recurring' | 'forever';
  credit_amount_cents: number;
  status: 'active' | 'terminated';
  amount_cents_remaining: number | null;
  frequency_duration_remaining: number | null;
}

export interface WalletChange {
  lago_id: string | null;
  code: string | null;
  balance_cents: number;
  credits_balance: DecimalString;
  debited_amount_cents: number;
  debited_credits: DecimalString;
}

/** Lago's WalletTransaction as the engine writes it (rules::wallet_transaction_json). */
export interface WalletTransactionOut {
  lago_id: string | null;
  lago_wallet_id: string | null;
  lago_invoice_id: string | null;
  lago_credit_note_id: null;
  lago_voided_invoice_id: string | null;
  transaction_type: 'outbound' | 'inbound';
  transaction_status: 'invoiced' | 'granted';
  status: 'settled';
  source: 'manual';
  amount: DecimalString;
  amount_cents: number;
  credit_amount: DecimalString;
  currency: Currency;
  settled_at: Timestamp;
  created_at: Timestamp;
  remaining_amount_cents: null;
  remaining_credit_amount: null;
  failed_at: null;
  name: null;
  payment_method: null;
  priority: number;
  invoice_requires_successful_payment: boolean;
  metadata: unknown[];
}

/** Lago's Fee::AppliedTax of one invoice fee (GET /fees prints them; ids null until stored). */
export interface FeeAppliedTax {
  lago_id: string | null;
  lago_fee_id: string | null;
  lago_tax_id: string | null;
  tax_name: string;
  tax_code: string;
  tax_rate: number;
  tax_description: string | null;
  amount_cents: number;
  amount_currency: Currency;
  created_at: Timestamp | null;
}

/** A credit note consumed by the invoice, or created by a termination (lago_id null). */
export interface CreditNoteChange {
  lago_id: string | null;
  number: string | null;
  credit_status: 'available' | 'consumed';
  balance_amount_cents: number;
  consumed_amount_cents: number;
  reason?: 'order_change';
  automatic?: boolean;
  currency?: Currency;
  external_subscription_id?: string;
  plan_code?: string;
  issuing_date?: string;
  total_amount_cents?: number;
  credit_amount_cents?: number;
  coupons_adjustment_amount_cents?: number;
  sub_total_excluding_taxes_amount_cents?: number;
  taxes_amount_cents?: number;
  items?: { lago_fee_id: null; fee_type: 'subscription'; amount_cents: number;
    precise_amount_cents: DecimalString }[];
}

export interface SubscriptionChange {
  external_id: string;
  plan_code: string;
  status: 'active' | 'terminated';
  started_at: Timestamp | null;
  terminated_at: Timestamp | null;
}

export interface BillResult {
  /** 0 or 1 invoice; lago_id, sequential_id and number are null (the server assigns them). */
  invoices: Invoice[];
  /** Per invoice, per fee (in the invoice's fee order): the fee's applied taxes. */
  fee_applied_taxes: FeeAppliedTax[][][];
  /** in_advance_charge: fees of non-invoiceable charges, created without an invoice. */
  fees?: Fee[];
  invoice_subscriptions: InvoiceSubscription[];
  /** Subscriptions left out because snapshot.invoices already holds their invoice. */
  already_billed: InvoiceSubscription[];
  /** A draft (grace period): when it is due to be finalized. */
  finalization?: { expected_finalization_date: string; finalize_at: Timestamp };
  changes: {
    applied_coupons: AppliedCouponChange[];
    wallets: WalletChange[];
    wallet_transactions: WalletTransactionOut[];
    credit_notes: CreditNoteChange[];
    subscriptions: SubscriptionChange[];
    /** in_advance_charge_periodic: the lago_ids of the fees regrouped on the invoice. */
    fees?: string[];
  };
}

/** lifetime_usage (docs/progressive_billing.md): Lago's LifetimeUsage, lago_id null. */
export interface LifetimeUsageResult {
  lifetime_usage: {
    lago_id: string | null;
    lago_subscription_id: string | null;
    external_subscription_id: string;
    external_historical_usage_amount_cents: number;
    invoiced_usage_amount_cents: number;
    current_usage_amount_cents: number;
    from_datetime: Timestamp | null;
    to_datetime: Timestamp;
    /** Only when the subscription has usage thresholds. */
    usage_thresholds?: { amount_cents: number; completion_ratio: number; reached_at: Timestamp | null }[];
  };
}

// ---- compare_plans (docs/compare_plans.md) ----

export interface ComparePlansRequest {
  external_subscription_id: string;
  /** Plans to compare; absent: every plan in the customer's currency. */
  plan_codes?: string[];
  /** Adds an `explanation` to each fee. */
  explain?: boolean;
}

export interface PlanComparison {
  plan_code: string;
  /** The period's invoice with the usage so far, the whole period's subscription fee included. */
  total_amount_cents: number;
  /** The same with each charge's usage projected to the period end. */
  projected_total_amount_cents: number;
  invoice: Invoice;
}

/** Ordered by projected_total_amount_cents, then plan_code. */
export interface ComparePlansResult { plans: PlanComparison[] }

// ---- errors and the API ----

/** Lago-style error document (CONTRACT §4). */
export interface ErrorDocument {
  status: number;
  error: string;
  code: string;
  error_details?: Record<string, string[]>;
}

export declare class TariffError extends Error {
  constructor(document: ErrorDocument);
  readonly name: 'TariffError';
  /** HTTP-like status: 400 malformed JSON, 422 validation, 404 not found... */
  readonly status: number;
  /** "validation_errors", "bad_request", "subscription_not_found"... */
  readonly code: string;
  /** JSON path → Lago error codes, e.g. {"plans[0].amount_cents": ["invalid_amount"]}. */
  readonly details: Record<string, string[]>;
  readonly document: ErrorDocument;
}

export type OperationName = 'preview' | 'current_usage' | 'projected_usage' | 'estimate_fees'
  | 'bill' | 'lifetime_usage' | 'compare_plans' | 'currentUsage' | 'projectedUsage' | 'estimateFees' | 'lifetimeUsage' | 'comparePlans';

/**
 * A snapshot object, or its JSON text (passed to the engine byte for byte), or that text's
 * UTF-8 bytes (e.g. a Buffer from readFileSync: copied once into the module, never decoded).
 */
export type SnapshotInput<Request = unknown> = Snapshot<Request> | string | Uint8Array;

export interface Tariff {
  /** Lago's invoice preview. @throws {TariffError} */
  preview(snapshot: SnapshotInput<InvoicePreviewRequest>): PreviewResult;
  /** Lago's current usage. @throws {TariffError} */
  currentUsage(snapshot: SnapshotInput<UsageRequest>): CurrentUsageResult;
  /** Lago's projected usage. @throws {TariffError} */
  projectedUsage(snapshot: SnapshotInput<UsageRequest>): ProjectedUsageResult;
  /** Lago's pay-in-advance fee estimate for one event. @throws {TariffError} */
  estimateFees(snapshot: SnapshotInput<EstimateFeesRequest>): EstimateFeesResult;
  /** The invoice issued at a billing instant and the state changes it implies. @throws {TariffError} */
  bill(snapshot: SnapshotInput<BillRequest>): BillResult;
  /** A subscription's lifetime usage and its thresholds' completion. @throws {TariffError} */
  lifetimeUsage(snapshot: SnapshotInput<UsageRequest>): LifetimeUsageResult;
  /** The subscription's current period priced on each plan (docs/compare_plans.md). @throws {TariffError} */
  comparePlans(snapshot: SnapshotInput<ComparePlansRequest>): ComparePlansResult;
  /** The raw answer: status and the exact JSON text the CLI prints. Never throws TariffError. */
  run(operation: OperationName, snapshot: SnapshotInput): { status: number; body: string };
  /** Size of the module's linear memory in bytes. */
  memoryBytes(): number;
  /** Bytes malloc holds for live allocations inside the module. */
  heapUsedBytes(): number;
  /** Resolves once a fresh instance that gives a grown memory back is in place (if any). */
  settled(): Promise<void>;
}

export interface CreateTariffOptions {
  /**
   * Node: a directory holding tariff.mjs and tariff.wasm (default: the package's dist/, or
   * TARIFF_WASM_DIR). Browsers: the URL of a directory holding tariff.wasm.
   */
  wasmDir?: string | URL;
  /** Browsers: the URL of tariff.wasm itself (default: dist/tariff.wasm beside the package). */
  wasmUrl?: string | URL;
  /** false: pass strings through embind instead of memory views (same bytes, slower). */
  fastPath?: boolean;
  /** A call that leaves the module's memory above this many bytes (default 64 MiB) makes a fresh instance replace it. */
  shrinkAboveBytes?: number;
}

/** Loads and instantiates the WebAssembly engine. */
export declare function createTariff(options?: CreateTariffOptions): Promise<Tariff>;
