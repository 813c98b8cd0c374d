// ES module flavour of the types: `import { createTariff, TariffError } from 'tariff-engine'`
// (index.mjs, or browser.mjs under the "browser" condition). The declarations live in
// index.d.ts; index.mjs re-exports index.cjs, so both flavours share one TariffError class.
export * from './index.js';
