import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import type { Config } from '../../src/config.js';
import { testConfig } from './app.js';
import { freePort } from './net.js';

/** Debian's Chromium (apt-get install chromium): the browser tests drive it, never a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/** The strictest policy the dashboard is meant to live under: no inline script, style or handler. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/** Serves the page at `url` with STRICT_CSP added; a violation shows up as a console error. */
export const withStrictCsp = (page: Page, url: string) =>
  page.route(url, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } });
  });

/**
 * Collects uncaught page errors and console errors, except the ones `expected` accepts
 * (Chromium logs every 4xx response, including those a test provokes on purpose).
 */
export function collectErrors(page: Page, expected: (text: string, url: string) => boolean): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || expected(msg.text(), msg.location().url)) return;
    errors.push(`${msg.text()} (${msg.location().url})`);
  });
  return errors;
}

/** Starts recording, in the page, every value an element shows: its text or its data-points attribute. */
export const record = (page: Page, selector: string, what: 'text' | 'points') =>
  page.evaluate(
    ([selector, what]) => {
      const el = document.querySelector<HTMLElement>(selector!)!;
      const seen: string[] = [];
      const read = () => (what === 'text' ? (el.textContent ?? '') : (el.dataset.points ?? ''));
      const note = () => {
        if (seen.at(-1) !== read()) seen.push(read());
      };
      note();
      new MutationObserver(note).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
      (window as unknown as Record<string, string[]>)[`seen:${selector}`] = seen;
    },
    [selector, what],
  );

/** The values recorded so far, in order, without repeats. */
export const recorded = (page: Page, selector: string) =>
  page.evaluate((key) => (window as unknown as Record<string, string[]>)[key]!, `seen:${selector}`);

/** A test configuration whose API listens on a free port, and the address the page opens. */
export async function configOnFreePort(env: Record<string, string> = {}): Promise<{ config: Config; base: string }> {
  const port = await freePort();
  return { config: await testConfig({ ...env, PORT: String(port) }), base: `http://127.0.0.1:${port}` };
}
