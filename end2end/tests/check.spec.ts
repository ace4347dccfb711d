// The Cek NIK page in the browser: an operator of BPBD (laptop `operator3`, phone
// `operator4`: their own demo operators, so the identity test keeps the first sign-in of
// `operator1` / `operator2`) types a NIK and sees it decoded locally before anything is
// spent, is refused locally without a purpose, looks the resident up (the nine elements, the
// quota meter moves by one), is asked to confirm before checking the same NIK again, verifies
// a name (Sesuai), clears the result, and nothing is left in browser storage. The NIKs are
// residents of the demo's simulator (`dukcapil-sim --export-sample 2`, seed 3313; synthetic).
import { test, expect, Page } from "@playwright/test";
import { signInWithNewPasskey, virtualAuthenticator, waitForHydration, watchConsole } from "./support";

const RESIDENTS = {
  laptop: {
    username: "operator3",
    password: "demo-operator-3-bpbd",
    nik: "3313051810610001",
    name: "ADITYA NAJAM",
    district: /matesih/i,
    sex: "Laki-laki",
    birth: "18-10-1961",
  },
  phone: {
    username: "operator4",
    password: "demo-operator-4-bpbd",
    nik: "3313155203000001",
    name: "RAHAYU NURAINI",
    district: /mojogedang/i,
    sex: "Perempuan",
    birth: "12-03-2000",
  },
};

async function quotaUsed(page: Page): Promise<number> {
  const quota = page.getByTestId("quota");
  await expect(quota).toBeVisible();
  return Number(await quota.getAttribute("data-used"));
}

test("Cek NIK: local decoding, look-up, quota meter, earlier verdict, verification", async ({ page }, info) => {
  const problems = watchConsole(page);
  const r = info.project.name === "phone" ? RESIDENTS.phone : RESIDENTS.laptop;
  await page.context().clearCookies();
  await virtualAuthenticator(page);

  await signInWithNewPasskey(page, r.username, r.password);
  await expect(page).toHaveURL(/\/nda$/);
  await waitForHydration(page);
  await page.getByTestId("nda-accept").click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole("link", { name: "Cek NIK" }).click();
  await expect(page).toHaveURL(/\/cek-nik$/);
  await expect(page.getByTestId("check-title")).toHaveText("Cek NIK");
  await waitForHydration(page);
  const before = await quotaUsed(page);

  // Local decoding while typing: invalid first, then the region, sex and birth date.
  const nik = page.getByTestId("nik-input");
  await nik.fill(r.nik.slice(0, 6));
  await expect(page.getByTestId("nik-invalid")).toContainText("NIK tidak valid");
  await expect(page.getByTestId("nik-invalid")).toHaveAttribute("data-code", "NIK_LENGTH");
  await nik.fill(`${r.nik.slice(0, 6)} ${r.nik.slice(6, 12)} ${r.nik.slice(12)}`);
  await expect(page.getByTestId("nik-invalid")).toHaveCount(0);
  await expect(page.getByTestId("decoded-province")).toContainText(/jawa tengah/i);
  await expect(page.getByTestId("decoded-regency")).toContainText(/karanganyar/i);
  await expect(page.getByTestId("decoded-district")).toContainText(r.district);
  await expect(page.getByTestId("decoded-sex")).toHaveText(r.sex);
  await expect(page.getByTestId("decoded-birth")).toHaveText(r.birth);

  // No purpose: refused in the browser, nothing sent, no hit.
  await page.getByTestId("check-submit").click();
  const message = page.getByTestId("check-message");
  await expect(message).toHaveAttribute("data-code", "PURPOSE_REQUIRED");
  await expect(message).toHaveAttribute("data-about", "input");
  await expect(message).toContainText("Keperluan");

  // The look-up: the nine elements, once; the meter moves by one.
  await page.getByTestId("purpose-input").fill("Banjir Matesih 2026 (uji e2e)");
  await page.getByTestId("check-submit").click();
  const resident = page.getByTestId("resident");
  await expect(resident).toBeVisible();
  await expect(resident.getByTestId("resident-element")).toHaveCount(9);
  await expect(resident.locator('[data-element="nik"]')).toContainText(r.nik);
  await expect(resident.locator('[data-element="nama_lengkap"]')).toContainText(r.name);
  await expect(page.getByTestId("quota")).toHaveAttribute("data-used", String(before + 1));

  // "Bersihkan" drops the result and the NIK.
  await page.getByTestId("check-clear").click();
  await expect(page.getByTestId("check-result")).toHaveCount(0);
  await expect(nik).toHaveValue("");

  // The same NIK again, now as a verification: the earlier look-up is shown (who, no data)
  // and must be confirmed before another hit is spent.
  await page.getByTestId("mode-verify").check();
  await nik.fill(r.nik);
  await page.getByTestId("claim-nama_lengkap").fill(r.name);
  await page.getByTestId("check-submit").click();
  const earlier = page.getByTestId("earlier-verdict");
  await expect(earlier).toBeVisible();
  await expect(earlier).toContainText(r.username);
  await expect(earlier).toHaveAttribute("data-code", "01");
  await expect(earlier).not.toContainText(r.name);
  await expect(page.getByTestId("quota")).toHaveAttribute("data-used", String(before + 1));
  await page.getByTestId("earlier-confirm").click();
  const verdict = page.locator('[data-testid="verdict"][data-element="nama_lengkap"]');
  await expect(verdict).toHaveAttribute("data-match", "true");
  await expect(verdict).toContainText("Sesuai");
  await expect(page.getByTestId("quota")).toHaveAttribute("data-used", String(before + 2));

  // Leaving the page drops the result; nothing was put in browser storage.
  await page.getByRole("link", { name: "Beranda" }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole("link", { name: "Cek NIK" }).click();
  await expect(page.getByTestId("check-title")).toBeVisible();
  await expect(page.getByTestId("check-result")).toHaveCount(0);
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
  expect(stored).toBe(0);
  expect(await page.content()).not.toContain(r.name);

  expect(problems).toEqual([]);
});

test("Cek NIK refuses anonymous visitors", async ({ page }) => {
  await page.context().clearCookies();
  await page.goto("/cek-nik");
  await expect(page).toHaveURL(/\/masuk$/);
});
