// Helpers shared by the Playwright specs (not a spec itself): console watching, waiting for
// hydration, Chromium's virtual authenticator, and sign-in with a first passkey enrolment.
import { expect, Page } from "@playwright/test";

/// Collects console errors and page errors; a test ends with `expect(problems).toEqual([])`.
/// Collects console errors and page errors. `expected` lists requests the test makes fail on
/// purpose, as "<status> <URL fragment>" (a refused form answers 4xx, which the browser logs as
/// an error); only an error naming both is ignored.
export function watchConsole(page: Page, expected: string[] = []): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = `console.error: ${msg.text()} (${msg.location().url ?? ""})`;
    const isExpected = expected.some((entry) => {
      const [status, fragment] = entry.split(" ", 2);
      return text.includes(`status of ${status}`) && text.includes(fragment);
    });
    if (isExpected) return;
    problems.push(text);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

export async function waitForHydration(page: Page) {
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
}

/// A platform authenticator with user verification, for this page's browser context.
export async function virtualAuthenticator(page: Page) {
  const client = await page.context().newCDPSession(page);
  await client.send("WebAuthn.enable");
  await client.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
}

/// The sign-in form, submitted.
export async function signIn(page: Page, username: string, password: string) {
  await page.goto("/masuk");
  await waitForHydration(page);
  await page.getByTestId("username").fill(username);
  await page.getByTestId("password").fill(password);
  await page.getByTestId("sign-in-submit").click();
}

/// First sign-in of a role that needs a second factor: password, then a new passkey.
export async function signInWithNewPasskey(page: Page, username: string, password: string) {
  await signIn(page, username, password);
  await expect(page).toHaveURL(/\/akun\/passkey$/);
  await page.getByTestId("passkey-register").click();
}
