// Type-checked example (npx tsc -p node/tsconfig.json): the ESM import of the package.
import { createTariff, TariffError } from 'tariff-engine';
import type { Snapshot, InvoicePreviewRequest, Invoice, Fee, CustomerUsage,
  CustomerProjectedUsage, ErrorDocument, BillResult, BillRequest, ComparePlansResult } from 'tariff-engine';

const snapshot: Snapshot<InvoicePreviewRequest> = {
  now: '2024-03-15T12:00:00Z',
  organization: { timezone: 'Europe/Paris', default_currency: 'EUR' },
  billable_metrics: [{ code: 'api_calls', name: 'API calls', aggregation_type: 'count_agg' }],
  plans: [{
    code: 'startup', name: 'Startup', interval: 'monthly', amount_cents: 4900,
    amount_currency: 'EUR', pay_in_advance: true,
    charges: [{ billable_metric_code: 'api_calls', charge_model: 'standard',
      properties: { amount: '0.001' } }],
  }],
  request: { customer: { name: 'New customer' }, plan_code: 'startup',
    coupons: [{ code: 'WELCOME', coupon_type: 'percentage', percentage_rate: '10',
      frequency: 'once' }] },
};

export async function main(): Promise<number> {
  const tariff = await createTariff();
  try {
    const invoice: Invoice = tariff.preview(snapshot).invoices[0];
    const fees: Fee[] = invoice.fees;
    const usage: CustomerUsage = tariff.currentUsage(JSON.stringify(snapshot)).customer_usage;
    const projected: CustomerProjectedUsage =
      tariff.projectedUsage({ ...snapshot, request: { external_subscription_id: 'sub_1' } })
        .customer_projected_usage;
    const estimate: Fee[] = tariff.estimateFees({ ...snapshot,
      request: { event: { code: 'api_calls', external_subscription_id: 'sub_1' } } }).fees;
    const request: BillRequest = { invoicing_reason: 'subscription_periodic',
      billing_at: '2024-04-01T00:00:00Z', external_subscription_ids: ['sub_1'] };
    const billed: BillResult = tariff.bill({ ...snapshot, request,
      invoices: [{ lago_id: 'inv_1', invoice_subscriptions: [] }] });
    const debited = billed.changes.wallets.reduce((t, w) => t + w.debited_amount_cents, 0);
    const compared: ComparePlansResult = tariff.comparePlans({ ...snapshot,
      request: { external_subscription_id: 'sub_1', plan_codes: ['startup'], explain: true } });
    const cheapest: number = compared.plans[0].projected_total_amount_cents;
    return invoice.total_amount_cents + fees.length + usage.amount_cents +
      projected.projected_amount_cents + estimate.length + debited + billed.invoices.length + cheapest;
  } catch (e) {
    if (e instanceof TariffError) {
      const doc: ErrorDocument = e.document;
      const codes: string[] = Object.values(e.details).flat();
      return e.status + doc.status + codes.length;
    }
    throw e;
  }
}

// @ts-expect-error: amounts are integer cents, not text.
export const wrong: Snapshot = { now: '2024-01-01T00:00:00Z', plans: [{ code: 'x', interval: 'monthly', amount_cents: '10', amount_currency: 'EUR' }] };
