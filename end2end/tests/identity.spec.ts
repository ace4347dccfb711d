// The identity layer in the browser: sign-in (errors, routing by session state), passkey
// enrolment and second-factor verification with Chromium's virtual authenticator, the NDA
// gate, the header's account state and sign-out. Demo accounts from `sigap demo`; the laptop
// and phone projects use different operators because both run against one server.
import { test, expect, Page, TestInfo } from "@playwright/test";

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

function operator(info: TestInfo) {
  return info.project.name === "phone"
    ? { username: "operator2", password: "demo-operator-2-bpbd", name: "Petugas Dua (Demo)" }
    : { username: "operator1", password: "demo-operator-1-bpbd", name: "Petugas Satu (Demo)" };
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto("/masuk");
  await waitForHydration(page);
  await page.getByTestId("username").fill(username);
  await page.getByTestId("password").fill(password);
  await page.getByTestId("sign-in-submit").click();
}

test("sign-in refuses unknown users and wrong passwords with one message", async ({ page }) => {
  const problems = watchConsole(page);
  await page.context().clearCookies();
  await page.goto("/");
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
  await signIn(page, "tidak.ada.orangnya", "salah-sekali-123");
  await expect(page.getByTestId("sign-in-error")).toHaveText("Nama pengguna atau kata sandi salah.");
  await expect(page).toHaveURL(/\/masuk$/);
  // A refused sign-in is an answer (HTTP 200), so not even a console error.
  expect(problems).toEqual([]);
});

test("operator: password, passkey enrolment, NDA, account page, sign out, passkey, recovery code", async ({ page }, info) => {
  const problems = watchConsole(page);
  const op = operator(info);
  await page.context().clearCookies();
  await virtualAuthenticator(page);

  // First sign-in: operators need a second factor and have none yet.
  await signIn(page, op.username, op.password);
  await expect(page).toHaveURL(/\/akun\/passkey$/);
  await expect(page.getByTestId("passkey-title")).toHaveText("Daftarkan passkey");
  await page.getByTestId("passkey-register").click();

  // Registered: fully signed in, and the NDA is still pending.
  await expect(page).toHaveURL(/\/nda$/);
  await expect(page.getByTestId("nda-text")).toContainText("BPBD Kabupaten Karanganyar");
  await expect(page.getByTestId("account-name")).toHaveText(op.name);
  await expect(page.getByTestId("account-role")).toHaveText("Petugas");
  await waitForHydration(page);
  await page.getByTestId("nda-accept").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("home-title")).toBeVisible();
  await expect(page.getByTestId("nda-pending")).toHaveCount(0);

  // The account page: who am I, one passkey, new recovery codes shown once.
  await page.getByRole("link", { name: "Akun" }).click();
  await expect(page).toHaveURL(/\/akun$/);
  await expect(page.getByTestId("account-facts")).toContainText(op.name);
  await expect(page.getByTestId("account-facts")).toContainText("Petugas");
  await expect(page.getByTestId("account-facts")).toContainText("BPBD Kabupaten Karanganyar");
  await expect(page.getByTestId("passkey-item")).toHaveCount(1);
  await page.getByTestId("recovery-generate").click();
  await expect(page.getByTestId("recovery-codes").locator("li")).toHaveCount(10);
  const code = (await page.getByTestId("recovery-codes").locator("li").first().textContent())!.trim();
  await expect(page.getByTestId("recovery-remaining")).toHaveText("10");

  // Sign out from the header.
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/masuk$/);
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
  await expect(page.getByTestId("account")).toHaveCount(0);

  // Second sign-in: password, then the passkey as the second factor; the NDA is accepted.
  await signIn(page, op.username, op.password);
  await expect(page).toHaveURL(/\/masuk\/verifikasi$/);
  await page.getByTestId("passkey-verify").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("account-name")).toHaveText(op.name);

  // Sign out everywhere from the account page.
  await page.goto("/akun");
  await waitForHydration(page);
  await page.getByTestId("sign-out-everywhere").click();
  await expect(page).toHaveURL(/\/masuk$/);
  await expect(page.getByTestId("sign-in-link")).toBeVisible();

  // Third sign-in: password, then a recovery code.
  await signIn(page, op.username, op.password);
  await expect(page).toHaveURL(/\/masuk\/verifikasi$/);
  await page.getByTestId("recovery-code").fill(code);
  await page.getByTestId("recovery-submit").click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto("/akun");
  await expect(page.getByTestId("recovery-remaining")).toHaveText("9");

  expect(problems).toEqual([]);
});

test("a wrong recovery code is refused with the server's message", async ({ page }, info) => {
  const problems = watchConsole(page);
  // The operator the previous test enrolled: the verification page is the next step.
  const op = operator(info);
  await page.context().clearCookies();
  await signIn(page, op.username, op.password);
  await expect(page).toHaveURL(/\/masuk\/verifikasi$/);
  await page.getByTestId("recovery-code").fill("bukan-kode-yang-benar");
  await page.getByTestId("recovery-submit").click();
  await expect(page.getByTestId("passkey-error")).toBeVisible();
  await expect(page).toHaveURL(/\/masuk\/verifikasi$/);
  // /auth/recovery-code answers 401: Chromium logs that failed request, and only that.
  expect(problems.filter((p) => !p.includes("status of 401"))).toEqual([]);
});
