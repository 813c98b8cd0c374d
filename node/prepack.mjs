// `npm pack` / `npm publish` in node/: puts what the package needs inside it, so that nothing
// outside the package is looked up at run time: the engine (build-wasm/tariff.mjs +
// tariff.wasm → dist/) and the project's LICENSE. Builds the WASM module first when the
// repository has none (bash scripts/build wasm: slow).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const wasm = process.env.TARIFF_WASM_DIR ?? join(repo, 'build-wasm');
if (!existsSync(join(wasm, 'tariff.wasm')) || !existsSync(join(wasm, 'tariff.mjs'))) {
  if (process.env.TARIFF_WASM_DIR) throw new Error(`prepack: no tariff.mjs/tariff.wasm in ${wasm}`);
  execFileSync('bash', [join(repo, 'scripts', 'build'), 'wasm'], { stdio: 'inherit' });
}
mkdirSync(join(here, 'dist'), { recursive: true });
for (const f of ['tariff.mjs', 'tariff.wasm']) copyFileSync(join(wasm, f), join(here, 'dist', f));
copyFileSync(join(repo, 'LICENSE'), join(here, 'LICENSE'));
