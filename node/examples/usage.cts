// Type-checked example (npx tsc -p node/tsconfig.json): the CommonJS require of the package.
import tariff = require('tariff-engine');

export async function total(text: string): Promise<number> {
  const t: tariff.Tariff = await tariff.createTariff({ fastPath: true });
  try {
    return t.preview(text).invoices[0].total_amount_cents;
  } catch (e) {
    if (e instanceof tariff.TariffError) return -e.status;
    throw e;
  }
}
