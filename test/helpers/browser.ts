// A real Chromium (Debian's package, /usr/bin/chromium) driven by playwright-core, with the
// DevTools WebAuthn virtual authenticator attached to each page (CDP domain "WebAuthn"), so tests
// can call navigator.credentials.create()/get() as an approver's browser would. Close what you
// open: closeBrowser() in after().
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

/** Where `make system-deps` (apt-get install chromium) puts the browser; CHROMIUM_PATH overrides. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p));
}

/** Options of WebAuthn.addVirtualAuthenticator (CDP VirtualAuthenticatorOptions) that tests vary. */
export interface AuthenticatorOptions {
  /** false: an authenticator with no PIN or biometric at all */
  hasUserVerification: boolean;
  isUserVerified: boolean;
}

export interface AuthenticatorPage {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

export interface BrowserHandle {
  browser: Browser;
  context: BrowserContext;
}

/** Launches headless Chromium. As root it needs --no-sandbox (playwright passes it unless chromiumSandbox is set). */
export async function launchBrowser(): Promise<BrowserHandle> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error('Chromium not found: `make system-deps` installs it (apt-get install chromium)');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    chromiumSandbox: false,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  const context = await browser.newContext();
  return { browser, context };
}

/**
 * Opens a page with its own virtual authenticator: CTAP2, internal transport (a platform
 * authenticator such as a phone's or laptop's), resident keys, touch simulated, and user
 * verification as `opts` says.
 */
export async function openAuthenticatorPage(handle: BrowserHandle, url: string, opts: AuthenticatorOptions): Promise<AuthenticatorPage> {
  const page = await handle.context.newPage();
  const cdp = await handle.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: opts.hasUserVerification,
      isUserVerified: opts.isUserVerified,
      automaticPresenceSimulation: true,
    },
  });
  await page.goto(url);
  return { page, cdp, authenticatorId };
}

export async function closeBrowser(handle: BrowserHandle | undefined): Promise<void> {
  if (handle === undefined) return;
  await handle.context.close().catch(() => undefined);
  await handle.browser.close();
}
