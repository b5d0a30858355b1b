// Headless Debian Chromium for the dashboard tests, driven by playwright-core. Without
// /usr/bin/chromium a local run skips the browser suites with one loud line; under CI
// the suites fail, so a missing browser never passes unnoticed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureDashboardBuilt } from '../../../client/scripts/build-dashboard.ts';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Whether the browser suites can run here; throws under CI when they cannot. */
export function browserAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing and CI is set: install Debian's chromium (apt-get install -y chromium); browser tests must not be skipped in CI`);
  // Every test file runs in its own worker: a marker per vitest run keeps it to one line.
  const marker = path.join(os.tmpdir(), `hookyard-no-chromium-${process.ppid}`);
  try {
    fs.writeFileSync(marker, '', { flag: 'wx' });
    console.warn(`\n!!!!! SKIPPING DASHBOARD BROWSER TESTS: ${CHROMIUM} not found (apt-get install -y chromium); set CI=1 to make this a failure !!!!!\n`);
  } catch {
    // another file already said it
  }
  return false;
}

/** Builds client/ when its build is missing or stale, then starts Chromium. */
export async function launchBrowser(): Promise<Browser> {
  ensureDashboardBuilt((line) => console.log(line));
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A page at 1280×800 that fails the test on any uncaught error in the dashboard. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

/** A link of the main navigation. */
export function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Where the browser tests save their screenshots: the README's docs/screenshots/ with
 * UPDATE_SCREENSHOTS=1, else a temporary folder, so a test run leaves the tree clean.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1'
  ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
  : fs.mkdtempSync(path.join(os.tmpdir(), 'hookyard-screenshots-'));

/** expect.poll with a patience fit for a browser and a worker (vitest's default is 1 s), longer than one Playwright wait (15 s). */
export function until<T>(check: () => T | Promise<T>, timeout = 20_000) {
  return expect.poll(check, { timeout, interval: 100 });
}
