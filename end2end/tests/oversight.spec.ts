// The read-only oversight page /pengawasan: the head of BPBD (laptop project, `kepala.bpbd`)
// sees only their own institution; the Disdukcapil evaluator (phone project,
// `evaluator.dukcapil`) sees every institution. Neither gets an administration link, and the
// page offers nothing that changes anything.
import { test, expect } from "@playwright/test";
import { signInWithNewPasskey, virtualAuthenticator, waitForHydration, watchConsole } from "./support";

test("oversight shows access, agreements and NDA acceptances read-only", async ({ page }, info) => {
  const problems = watchConsole(page);
  await page.context().clearCookies();
  await virtualAuthenticator(page);

  if (info.project.name !== "phone") {
    await signInWithNewPasskey(page, "kepala.bpbd", "demo-head-bpbd-karanganyar");
    // The head accepts the institution's NDA first.
    await expect(page).toHaveURL(/\/nda$/);
    await waitForHydration(page);
    await page.getByTestId("nda-accept").click();
    await expect(page).toHaveURL(/\/$/);
  } else {
    await signInWithNewPasskey(page, "evaluator.dukcapil", "demo-disdukcapil-evaluator-1");
    await expect(page).toHaveURL(/\/$/);
  }
  await expect(page.getByRole("link", { name: "Admin Instansi" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Admin Disdukcapil" })).toHaveCount(0);
  await page.getByRole("link", { name: "Pengawasan" }).click();
  await expect(page).toHaveURL(/\/pengawasan$/);
  await expect(page.getByTestId("oversight-title")).toBeVisible();

  const bpbd = page.locator('[data-testid="oversight-institution"][data-code="BPBD-3313"]');
  await expect(bpbd).toBeVisible();
  await expect(bpbd.getByTestId("access-state")).toHaveAttribute("data-code", "ACTIVE");
  await expect(bpbd.getByTestId("agreement-sptjm").first()).not.toHaveText("");
  await expect(bpbd.getByTestId("agreement-addenda").first()).not.toHaveText("");
  await expect(bpbd.locator('[data-testid="oversight-signature"][data-username="operator1"]')).toBeVisible();
  if (info.project.name !== "phone") {
    // The head just accepted the current NDA.
    await expect(
      bpbd.locator('[data-testid="oversight-signature"][data-username="kepala.bpbd"]'),
    ).toHaveAttribute("data-current", "true");
    await expect(page.getByTestId("oversight-institution")).toHaveCount(1);
  }
  // Nothing on the page changes anything.
  await expect(page.locator("main button, main form, main input")).toHaveCount(0);

  expect(problems).toEqual([]);
});

test("oversight refuses anonymous visitors", async ({ page }) => {
  await page.context().clearCookies();
  await page.goto("/pengawasan");
  await expect(page).toHaveURL(/\/masuk$/);
});
