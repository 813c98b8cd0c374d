// CommonJS flavour of the types: `const { createTariff, TariffError } = require('tariff-engine')`.
// The declarations live in index.d.ts; this file re-exports them for require() callers.
export * from './index.js';
