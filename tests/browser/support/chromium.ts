import { chromium, type Browser } from 'playwright-core';
import { requireTools } from '../../../infra/tools.ts';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'];

/**
 * Debian's Chromium, driven by playwright-core (which bundles no browser). On a fresh CI machine
 * (CI=true or TERNING_AUTO_INSTALL=1, as root) it is installed with apt-get; elsewhere the error says
 * exactly what to install. Headless; playwright gives each launch a fresh --user-data-dir in the temp
 * directory and removes it on close, and each test its own context (its own localStorage).
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium: executablePath } = await requireTools('the browser tests', [{ bin: 'chromium', pkg: 'chromium' }], (line) => console.log(`  ${line}`));
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
