import { chromium, type Browser } from 'playwright-core';
import { requireTools } from '../../../infra/tools.ts';
import { CHROMIUM } from '../../support/tools.ts';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Debian's Chromium, driven by playwright-core (which bundles no browser). `npm test` installs it as
 * root (tests/support/tools.ts); a missing one is installed here too as root, and anyone else is told
 * the command. Headless; playwright gives each launch a fresh --user-data-dir in the temp
 * directory and removes it on close, and each test its own context (its own localStorage).
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium: executablePath } = await requireTools('the browser tests', [CHROMIUM], (line) => console.log(`  ${line}`));
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
