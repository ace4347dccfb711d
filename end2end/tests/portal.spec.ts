// The portal shell: renders on the server, hydrates in the browser, and never logs a console
// error. Every test fails on any console error or uncaught page error.
import { test, expect, Page } from "@playwright/test";

function watchConsole(page: Page, expected404: string[] = []): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // Chromium reports a deliberate 404 document as a console error; allow only that one.
    const url = msg.location().url ?? "";
    if (msg.text().includes("404") && expected404.some((p) => url.endsWith(p))) return;
    problems.push(`console.error: ${msg.text()} (${url})`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

async function waitForHydration(page: Page) {
  // The wasm bundle marks the document once hydrate() has run (see frontend/src/lib.rs).
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
}

test("home page hydrates: the language toggle and the element list react to clicks", async ({ page }) => {
  const problems = watchConsole(page);
  await page.context().clearCookies();
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("'nonce-");
  expect(response?.headers()["cache-control"]).toBe("no-store");

  await expect(page.getByTestId("home-title")).toHaveText("Selamat datang di SIGAP");
  await expect(page.getByTestId("institution")).toContainText("BPBD Kabupaten Karanganyar");
  await waitForHydration(page);

  // Only the hydrated page can react to this click.
  await expect(page.getByTestId("elements-list")).toHaveCount(0);
  await page.getByTestId("elements-toggle").click();
  await expect(page.getByTestId("elements-list").locator("li")).toHaveCount(9);

  await page.getByTestId("lang-toggle").click();
  await expect(page.getByTestId("home-title")).toHaveText("Welcome to SIGAP");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");

  // The choice survives a reload (cookie read by the server: no flash of Indonesian).
  await page.reload();
  await expect(page.getByTestId("home-title")).toHaveText("Welcome to SIGAP");
  await waitForHydration(page);
  await page.getByTestId("lang-toggle").click();
  await expect(page.getByTestId("home-title")).toHaveText("Selamat datang di SIGAP");

  expect(problems).toEqual([]);
});

test("navigation reaches the status page client-side and it shows a ready database", async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto("/");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Status Sistem" }).click();
  await expect(page).toHaveURL(/\/status$/);
  await expect(page.getByTestId("status")).toContainText("Siap");
  expect(problems).toEqual([]);
});

test("unknown routes get the portal's 404 page", async ({ page }) => {
  const problems = watchConsole(page, ["/tidak-ada-halaman-ini"]);
  const response = await page.goto("/tidak-ada-halaman-ini");
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toBeVisible();
  await waitForHydration(page);
  expect(problems).toEqual([]);
});

test("no horizontal scrolling", async ({ page }) => {
  const problems = watchConsole(page, ["/tidak-ada"]);
  for (const path of ["/", "/status", "/tidak-ada", "/masuk", "/masuk/verifikasi", "/akun/passkey"]) {
    await page.goto(path);
    await waitForHydration(page);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
  }
  expect(problems).toEqual([]);
});
