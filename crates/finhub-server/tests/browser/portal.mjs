// The portal in a real browser: Debian's Chromium driven by playwright-core, every page checked
// with axe-core (no serious or critical violation), for its security headers, for CSP reports,
// and at phone width for sideways scrolling. Started by the hub's test `portal_browser`, which
// serves the hub, makes its users and reads the result; this script never starts anything else.
//
// Environment: PORTAL_HUB (the hub's URL), PORTAL_TENANT, PORTAL_REQUIRED_TENANT, the users as
// PORTAL_ADMIN / PORTAL_MEMBER / PORTAL_FORCED ("name:password"), PORTAL_CUSTOMER
// ("id:secret", a b2c customer for API logins), PORTAL_BROWSER_MODULES (where playwright-core
// and axe-core are installed), PORTAL_CHROMIUM, and PORTAL_SCREENSHOTS (a directory: pages are
// photographed there at desktop and phone width only when it is set).
//
// Output: one "ok - …" line per step; last, one line "SECRETS <json>" with every password, code,
// recovery code, key and cookie the browser typed or saw, for the caller to search the hub's
// logs for. Exit status 1 at the first failure, with what failed.

import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const pair = (name) => {
  const [first, ...rest] = env(name).split(':');
  return [first, rest.join(':')];
};

const HUB = env('PORTAL_HUB');
const TENANT = env('PORTAL_TENANT');
const REQUIRED_TENANT = env('PORTAL_REQUIRED_TENANT');
const [ADMIN, ADMIN_PASSWORD] = pair('PORTAL_ADMIN');
const [MEMBER, MEMBER_PASSWORD] = pair('PORTAL_MEMBER');
const [FORCED, FORCED_PASSWORD] = pair('PORTAL_FORCED');
const [CUSTOMER_ID, CUSTOMER_SECRET] = pair('PORTAL_CUSTOMER');
const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS || null;
const require = createRequire(join(env('PORTAL_BROWSER_MODULES'), 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const CSP =
  "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const API_AGENT = 'finhub-browser-test/1.0 (API)';
const secrets = new Set([ADMIN_PASSWORD, MEMBER_PASSWORD, FORCED_PASSWORD, CUSTOMER_SECRET]);

function ok(step) {
  console.log(`ok - ${step}`);
}

function expect(condition, what) {
  if (!condition) throw new Error(what);
}

// RFC 6238 with SHA-1, 6 digits, 30 s: the code an authenticator app shows for `step`.
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(c);
    expect(value >= 0, `not Base32: ${c}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  const text = code.toString().padStart(6, '0');
  secrets.add(text);
  return text;
}

// A browser context with what every page is checked for.
async function open(browser, name) {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  const page = await context.newPage();
  const state = { name, context, page, last: null, cspReports: [] };
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document' && response.frame() === page.mainFrame()) {
      state.last = response;
    }
  });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) state.cspReports.push(message.text());
  });
  return state;
}

// Checks the page now shown: its status, the portal's headers, no CSP report, axe-core at
// desktop and at phone width, no sideways scrolling on a phone; photographs it when asked.
async function check(state, shot, status = 200) {
  const { page } = state;
  await page.waitForLoadState('load');
  const response = state.last;
  expect(response, `${shot}: no page was loaded`);
  expect(response.status() === status, `${shot}: status ${response.status()}, expected ${status}: ${await page.content()}`);
  const headers = response.headers();
  expect(headers['content-security-policy'] === CSP, `${shot}: CSP ${headers['content-security-policy']}`);
  expect(headers['x-frame-options'] === 'DENY', `${shot}: X-Frame-Options`);
  expect(headers['x-content-type-options'] === 'nosniff', `${shot}: X-Content-Type-Options`);
  expect(headers['cache-control'] === 'no-store', `${shot}: Cache-Control`);
  expect(headers['referrer-policy'] === 'no-referrer', `${shot}: Referrer-Policy`);
  expect(state.cspReports.length === 0, `${shot}: CSP reports ${state.cspReports.join(' | ')}`);
  const styled = await page.evaluate(() => getComputedStyle(document.body).margin);
  expect(styled === '0px', `${shot}: the style sheet did not apply`);
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations.length === 0, `${shot} at ${size} width: ${violations.join('; ')}`);
    if (size === 'phone') {
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow <= 0, `${shot}: scrolls sideways by ${overflow}px on a phone`);
    }
    if (SCREENSHOTS) {
      await page.screenshot({ path: join(SCREENSHOTS, `${shot}-${size}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(DESKTOP);
  ok(`${state.name}: ${shot} (${status}; headers, axe-core, phone width)`);
}

async function text(state, selector) {
  return (await state.page.locator(selector).first().innerText()).trim();
}

// Submits the form that holds `button` and waits for the page it leads to.
async function press(state, button) {
  await Promise.all([state.page.waitForNavigation(), state.page.locator(button).first().click()]);
}

async function signIn(state, tenant, username, password) {
  await state.page.goto(`${HUB}/portal/sign-in`);
  await state.page.fill('#tenant', tenant);
  await state.page.fill('#username', username);
  await state.page.fill('#password', password);
  await press(state, 'button[type=submit]');
}

async function enterCode(state, code) {
  await state.page.fill('#code', code);
  await press(state, 'main button[type=submit]');
}

async function signOut(state) {
  await press(state, 'form.signout button');
}

async function cookieOf(state) {
  const cookies = await state.context.cookies(HUB);
  const cookie = cookies.find((c) => c.name === '__Host-finhub_portal');
  expect(cookie, `${state.name}: no portal cookie`);
  secrets.add(cookie.value);
  return cookie;
}

// Enrols from the factor page (password given): the secret, the recovery codes.
async function enrol(state, password, shots) {
  await state.page.goto(`${HUB}/portal/factor`);
  if (shots) await check(state, 'factor');
  await state.page.fill('#start-password', password);
  await press(state, 'form[action="/portal/factor/start"] button');
  if (shots) await check(state, 'enrol');
  expect(await state.page.locator('.qr svg').count() === 1, 'the QR code is shown');
  const secret = await text(state, '#manual-secret');
  secrets.add(secret);
  await enterCode(state, totp(secret, stepNow()));
  if (shots) await check(state, 'recovery-codes');
  const codes = await state.page.locator('#recovery-codes li').allInnerTexts();
  expect(codes.length === 10, `ten recovery codes, not ${codes.length}`);
  codes.forEach((code) => secrets.add(code));
  return { secret, codes, step: stepNow() };
}

// A password login through the API (with a code or recovery code): its session token.
async function apiLogin(username, password, extra) {
  const response = await fetch(`${HUB}/v1/auth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tenant-id': TENANT,
      'user-agent': API_AGENT,
      'sec-ch-ua-platform': '"Linux"',
      'x-forwarded-for': '127.0.0.1',
    },
    body: JSON.stringify({
      grantType: 'password',
      username,
      password,
      customerId: CUSTOMER_ID,
      customerSecret: CUSTOMER_SECRET,
      accountType: 'b2c',
      ...extra,
    }),
  });
  const body = await response.json();
  expect(response.status === 200, `API login of ${username}: ${response.status} ${JSON.stringify(body)}`);
  secrets.add(body.userSessionToken);
  return body.userSessionToken;
}

async function apiSessionStatus(token) {
  const response = await fetch(`${HUB}/v1/auth/session`, { headers: { authorization: `Bearer ${token}` } });
  return response.status;
}

async function main() {
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env('PORTAL_CHROMIUM'),
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    await run(browser);
  } finally {
    await browser.close();
  }
}

async function run(browser) {
  // The administrator signs in with the keyboard alone: skip link first, then the fields.
  const admin = await open(browser, ADMIN);
  await admin.page.goto(`${HUB}/portal/sign-in`);
  await check(admin, 'sign-in');
  const before = await cookieOf(admin);
  expect(before.value.startsWith('anon_'), 'an anonymous id before signing in');
  await admin.page.keyboard.press('Tab');
  expect(await admin.page.evaluate(() => document.activeElement.className) === 'skip', 'Tab reaches the skip link first');
  await admin.page.keyboard.press('Tab');
  expect(await admin.page.evaluate(() => document.activeElement.className) === 'brand', 'then the home link');
  for (const [id, value] of [['tenant', TENANT], ['username', ADMIN], ['password', ADMIN_PASSWORD]]) {
    await admin.page.keyboard.press('Tab');
    expect(await admin.page.evaluate(() => document.activeElement.id) === id, `Tab reaches #${id}`);
    await admin.page.keyboard.type(value);
  }
  await Promise.all([admin.page.waitForNavigation(), admin.page.keyboard.press('Enter')]);
  await check(admin, 'home');
  const cookie = await cookieOf(admin);
  expect(cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict' && cookie.path === '/', `cookie attributes ${JSON.stringify({ ...cookie, value: '…' })}`);
  expect(cookie.value !== before.value && cookie.value.startsWith('fhsk_'), 'a new opaque value once signed in');
  ok('keyboard-only sign-in; cookie HttpOnly, Secure, SameSite=Strict, path /, renewed at sign-in');

  // Enrol: QR code and manual key, confirm, recovery codes shown once with a download.
  const factor = await enrol(admin, ADMIN_PASSWORD, true);
  const [download] = await Promise.all([
    admin.page.waitForEvent('download'),
    admin.page.locator('a[download]').click(),
  ]);
  const downloaded = readFileSync(await download.path(), 'utf8');
  expect(factor.codes.every((code) => downloaded.includes(code)), 'the download holds every code');
  await admin.page.goto(`${HUB}/portal/factor`);
  expect(!(await admin.page.content()).includes(factor.codes[0]), 'the codes are shown only once');
  ok('enrolled: QR code, manual key, first code, ten recovery codes downloaded as text, shown once');

  await signOut(admin);
  await check(admin, 'signed-out');

  // Sign in with a code: a wrong one first, then the next step's.
  await signIn(admin, TENANT, ADMIN, ADMIN_PASSWORD);
  await check(admin, 'code');
  await enterCode(admin, '000000');
  await check(admin, 'code-refused', 401);
  expect((await admin.page.content()).includes('That code did not work'), 'the page says the code did not work');
  const next = totp(factor.secret, factor.step + 1);
  await enterCode(admin, next);
  expect(admin.page.url() === `${HUB}/portal/`, `signed in with a code: ${admin.page.url()}`);
  await signOut(admin);
  // The same code again: refused. A recovery code instead: signed in; it is then used up.
  await signIn(admin, TENANT, ADMIN, ADMIN_PASSWORD);
  await enterCode(admin, next);
  await check(admin, 'code-replayed', 401);
  await enterCode(admin, factor.codes[0]);
  expect(admin.page.url() === `${HUB}/portal/`, 'signed in with a recovery code');
  await signOut(admin);
  await signIn(admin, TENANT, ADMIN, ADMIN_PASSWORD);
  await enterCode(admin, factor.codes[0]);
  await check(admin, 'recovery-code-spent', 401);
  await enterCode(admin, factor.codes[1]);
  expect(admin.page.url() === `${HUB}/portal/`, 'signed in with another recovery code');
  ok('code once, wrong code refused, replayed code refused, recovery code once');

  // A member: enrols, logs in through the API too, and ends that session from the portal.
  const member = await open(browser, MEMBER);
  await signIn(member, TENANT, MEMBER, MEMBER_PASSWORD);
  const memberFactor = await enrol(member, MEMBER_PASSWORD, false);
  const apiToken = await apiLogin(MEMBER, MEMBER_PASSWORD, { otp: totp(memberFactor.secret, memberFactor.step + 1) });
  await member.page.goto(`${HUB}/portal/sessions`);
  await check(member, 'sessions');
  const apiRow = member.page.locator('#sessions tbody tr', { hasText: API_AGENT });
  expect(await apiRow.count() === 1, 'the API session is listed with its user agent');
  await Promise.all([member.page.waitForNavigation(), apiRow.locator('button').click()]);
  expect(await apiSessionStatus(apiToken) === 401, 'the API refuses the session ended in the portal');
  ok('a session ended in the portal is refused by the API');

  // CSRF: a form without its token, and one with another session's token: refused.
  const adminApiToken = await apiLogin(ADMIN, ADMIN_PASSWORD, { recoveryCode: factor.codes[2] });
  await admin.page.goto(`${HUB}/portal/sessions`);
  await admin.page.evaluate(() => document.querySelector('form[action="/portal/sessions/end-others"] input[name=csrf]').remove());
  await press(admin, 'form[action="/portal/sessions/end-others"] button');
  await check(admin, 'csrf-refused', 403);
  await member.page.goto(`${HUB}/portal/sessions`);
  const foreign = await member.page.locator('input[name=csrf]').first().inputValue();
  await admin.page.goto(`${HUB}/portal/sessions`);
  await admin.page.evaluate((token) => {
    document.querySelector('form[action="/portal/sessions/end-others"] input[name=csrf]').value = token;
  }, foreign);
  await press(admin, 'form[action="/portal/sessions/end-others"] button');
  expect(admin.last.status() === 403, 'another session\'s CSRF token is refused');
  expect(await apiSessionStatus(adminApiToken) === 200, 'the refused forms ended nothing');
  ok('CSRF token missing or from another session: refused, nothing ended');

  // The administrator resets the member's factor: the member's API session ends.
  const secondApiToken = await apiLogin(MEMBER, MEMBER_PASSWORD, { recoveryCode: memberFactor.codes[0] });
  expect(await apiSessionStatus(secondApiToken) === 200, 'the member\'s API session works');
  await admin.page.goto(`${HUB}/portal/admin/users`);
  await check(admin, 'users');
  const row = admin.page.locator(`#users tr[data-user="${MEMBER}"]`);
  await Promise.all([admin.page.waitForNavigation(), row.locator('form[action$="reset-factor"] button').click()]);
  expect(await apiSessionStatus(secondApiToken) === 401, 'the reset ended the member\'s API session');
  await member.page.goto(`${HUB}/portal/`);
  expect(member.last.status() === 401, 'and the member\'s portal session');
  await admin.page.goto(`${HUB}/portal/admin/audit?user=${encodeURIComponent(MEMBER)}`);
  await check(admin, 'audit');
  expect((await admin.page.content()).includes('mfa_reset'), 'the reset is in the audit trail');
  await admin.page.goto(`${HUB}/portal/admin/audit?from=yesterday`);
  await check(admin, 'audit-bad-filter', 400);
  ok('the tenant administrator resets a factor (sessions end) and reads the audit trail');

  // A cookie replayed after sign-out names nothing.
  const replayed = await cookieOf(admin);
  await admin.page.goto(`${HUB}/portal/`);
  await signOut(admin);
  const stranger = await open(browser, 'replay');
  // Sent as a header: the browser's jar keeps the cookie only for the origin that set it.
  await stranger.context.setExtraHTTPHeaders({ cookie: `${replayed.name}=${replayed.value}` });
  await stranger.page.goto(`${HUB}/portal/sessions`);
  await check(stranger, 'signed-out-replayed', 401);
  expect((await stranger.page.content()).includes('You are signed out'), 'the page says to sign in again');
  ok('a cookie replayed after sign-out is refused');

  // Forced enrolment under a tenant that requires a factor.
  const forced = await open(browser, FORCED);
  await signIn(forced, REQUIRED_TENANT, FORCED, FORCED_PASSWORD);
  await check(forced, 'forced-enrolment');
  const forcedSecret = await text(forced, '#manual-secret');
  secrets.add(forcedSecret);
  await enterCode(forced, '999999');
  await check(forced, 'forced-enrolment-refused', 401);
  await enterCode(forced, totp(forcedSecret, stepNow()));
  await check(forced, 'forced-enrolment-done');
  expect((await forced.page.locator('#recovery-codes li').count()) === 10, 'the recovery codes, once');
  (await forced.page.locator('#recovery-codes li').allInnerTexts()).forEach((code) => secrets.add(code));
  await forced.page.goto(`${HUB}/portal/factor`);
  expect(forced.last.status() === 200, 'signed in after the forced enrolment');
  ok('forced enrolment under a required tenant ends signed in');

  for (const state of [admin, member, stranger, forced]) await cookieOf(state).catch(() => {});
}

main()
  .then(() => {
    console.log(`SECRETS ${JSON.stringify([...secrets])}`);
  })
  .catch((error) => {
    console.log(`SECRETS ${JSON.stringify([...secrets])}`);
    console.error(`not ok - ${error.stack || error}`);
    process.exit(1);
  });
