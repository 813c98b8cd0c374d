// tariff for Node as an ES module: the CommonJS entry, re-exported (one TariffError class).
export { createTariff, TariffError } from './index.cjs';
