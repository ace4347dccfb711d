// Self-service password change on /akun (laptop project only, with the demo auditor
// `auditor.demo`, whom no other test signs in): a wrong current password is refused in words,
// then the change keeps this browser signed in, and afterwards only the new password works.
import { test, expect } from "@playwright/test";
import { signIn, virtualAuthenticator, waitForHydration, watchConsole } from "./support";
import { AUDIT_JOURNEY_EXPECTED, auditTrailJourney } from "./audit_journey";

test("password change keeps this browser signed in; only the new password works after", async ({ page }, info) => {
  test.skip(info.project.name === "phone", "one demo auditor: the laptop project changes its password");
  const problems = watchConsole(page, AUDIT_JOURNEY_EXPECTED);
  await page.context().clearCookies();
  await virtualAuthenticator(page);
  const oldPassword = "demo-audit-trail-reader-1";
  const newPassword = "Kabut-Lawu-Pagi-Hari-73";

  await signIn(page, "auditor.demo", oldPassword);
  await expect(page).toHaveURL(/\/akun\/passkey$/);
  await page.getByTestId("passkey-register").click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto("/akun");
  await waitForHydration(page);
  await page.getByTestId("password-current").fill("bukan-kata-sandi-ini");
  await page.getByTestId("password-new").fill(newPassword);
  await page.getByTestId("password-confirm").fill(newPassword);
  await page.getByTestId("password-submit").click();
  await expect(page.getByTestId("password-error")).toContainText("Kata sandi sekarang salah");

  await page.getByTestId("password-current").fill(oldPassword);
  await page.getByTestId("password-new").fill(newPassword);
  await page.getByTestId("password-confirm").fill("Kabut-Lawu-Pagi-Hari-74");
  await page.getByTestId("password-submit").click();
  await expect(page.getByTestId("password-error")).toContainText("tidak sama");

  await page.getByTestId("password-current").fill(oldPassword);
  await page.getByTestId("password-new").fill(newPassword);
  await page.getByTestId("password-confirm").fill(newPassword);
  await page.getByTestId("password-submit").click();
  await expect(page.getByTestId("password-changed")).toBeVisible();
  // Still signed in here.
  await page.goto("/akun");
  await waitForHydration(page);
  await expect(page.getByTestId("account-title")).toBeVisible();
  await expect(page.getByTestId("account-name")).toHaveText("Auditor (Demo)");

  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/masuk$/);
  await signIn(page, "auditor.demo", oldPassword);
  await expect(page.getByTestId("sign-in-error")).toBeVisible();
  await signIn(page, "auditor.demo", newPassword);
  await expect(page).toHaveURL(/\/masuk\/verifikasi$/);
  await page.getByTestId("passkey-verify").click();
  await expect(page).toHaveURL(/\/$/);

  // The only demo account with `audit.verify`, signed in here: the audit page.
  await auditTrailJourney(page);

  expect(problems).toEqual([]);
});
