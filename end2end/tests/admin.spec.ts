// The administration pages in the browser: the institution admin's /admin (laptop project,
// `admin.bpbd`) and the Disdukcapil admin's /disdukcapil (phone project, `admin.dukcapil`).
// Both projects run against one server, so each uses its own demo admin (a passkey enrolled
// in one project's virtual authenticator is unknown to the other's). Nothing is changed:
// the deactivation's confirm step is opened and cancelled, so the operators stay active for
// the identity tests.
import { test, expect, Page } from "@playwright/test";

function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console.error: ${msg.text()} (${msg.location().url ?? ""})`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

async function waitForHydration(page: Page) {
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
}

async function virtualAuthenticator(page: Page) {
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

async function signInWithNewPasskey(page: Page, username: string, password: string) {
  await page.goto("/masuk");
  await waitForHydration(page);
  await page.getByTestId("username").fill(username);
  await page.getByTestId("password").fill(password);
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/akun\/passkey$/);
  await page.getByTestId("passkey-register").click();
}

test("administration pages show only to their roles and list their data", async ({ page }, info) => {
  const problems = watchConsole(page);
  await page.context().clearCookies();
  await virtualAuthenticator(page);

  if (info.project.name !== "phone") {
    await signInWithNewPasskey(page, "admin.bpbd", "demo-institution-admin-1");
    // Institution admins accept their institution's NDA first.
    await expect(page).toHaveURL(/\/nda$/);
    await waitForHydration(page);
    await page.getByTestId("nda-accept").click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("link", { name: "Admin Disdukcapil" })).toHaveCount(0);
    await page.getByRole("link", { name: "Admin Instansi" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByTestId("admin-institution")).toHaveText("BPBD Kabupaten Karanganyar");
    await expect(page.getByTestId("access-state").first()).toBeVisible();
    const operator = page.locator('[data-testid="admin-account"][data-username="operator1"]');
    await expect(operator).toContainText("op-demo-1");
    await expect(operator.getByTestId("admin-account-status")).toHaveText("Aktif");
    // The confirm step, cancelled: nothing changes.
    await waitForHydration(page);
    await operator.getByTestId("admin-deactivate").click();
    await expect(page.getByTestId("admin-confirm")).toContainText("operator1");
    await page.getByTestId("admin-confirm").getByRole("button", { name: "Batal" }).click();
    await expect(page.getByTestId("admin-confirm")).toHaveCount(0);
    await expect(operator.getByTestId("admin-account-status")).toHaveText("Aktif");
    await expect(page.getByTestId("agreement-row").first()).toBeVisible();
  } else {
    await signInWithNewPasskey(page, "admin.dukcapil", "demo-disdukcapil-admin-1");
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("link", { name: "Admin Instansi" })).toHaveCount(0);
    await page.getByRole("link", { name: "Admin Disdukcapil" }).click();
    await expect(page).toHaveURL(/\/disdukcapil$/);
    const bpbd = page.locator('[data-testid="dk-institution"][data-code="BPBD-3313"]');
    await expect(bpbd).toBeVisible();
    await waitForHydration(page);
    await bpbd.getByTestId("dk-open").click();
    await expect(page.getByTestId("dk-detail-name")).toHaveText("BPBD Kabupaten Karanganyar");
    await expect(page.getByTestId("agreement-row").first()).toBeVisible();
    await expect(page.getByTestId("dk-user-id").first()).toBeVisible();
  }

  expect(problems).toEqual([]);
});

test("administration pages refuse anonymous visitors", async ({ page }) => {
  await page.context().clearCookies();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/masuk$/);
  await page.goto("/disdukcapil");
  await expect(page).toHaveURL(/\/masuk$/);
});
