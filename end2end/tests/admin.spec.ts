// The administration pages in the browser: the institution admin's /admin (laptop project,
// `admin.bpbd`) and the Disdukcapil admin's /disdukcapil (phone project, `admin.dukcapil`).
// Both projects run against one server, so each uses its own demo admin (a passkey enrolled
// in one project's virtual authenticator is unknown to the other's). The deactivation's
// confirm step is opened and cancelled, so the operators stay active for the identity tests;
// the institution admin records a staff-change notice; the Disdukcapil admin's new agreement
// is a draft that ends terminated, so the demo institution's access stays active.
import { test, expect } from "@playwright/test";
import { signInWithNewPasskey, virtualAuthenticator, waitForHydration, watchConsole } from "./support";

test("administration pages show only to their roles and list their data", async ({ page }, info) => {
  // The incomplete staff-change notice and the non-extending addendum below are refused on
  // purpose (409).
  const problems = watchConsole(page, [
    "409 /api/sf/record_staff_change_notice",
    "409 /api/sf/add_addendum",
  ]);
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

    // Staff-change notices: an incomplete one is refused in Indonesian, then one is recorded
    // and listed with the operator's local user ID.
    await page.getByTestId("notice-account").selectOption({ label: "operator1 · op-demo-1" });
    await page.getByTestId("notice-date").fill("2026-01-05");
    await page.getByTestId("notice-sender").fill("Admin BPBD, Kasubag Umum");
    await page.getByTestId("notice-submit").click();
    await expect(page.getByTestId("notice-error")).toContainText("Pemberitahuan belum lengkap");
    await page.getByTestId("notice-what").fill("Petugas pindah ke Bidang Logistik");
    await page.getByTestId("notice-reference").fill("800/112/BPBD/2026");
    await page.getByTestId("notice-submit").click();
    await expect(page.getByTestId("notice-saved")).toBeVisible();
    const notice = page.getByTestId("notice").first();
    await expect(notice).toContainText("Petugas pindah ke Bidang Logistik");
    await expect(notice.getByTestId("notice-local-user-id")).toHaveText("op-demo-1 (operator1)");
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

    // Agreement editing: a new draft (the nine elements and 1,000 a day by default), a
    // correction, a refused addendum in words, the SPTJM, then termination behind a confirm
    // step. A terminated draft never grants access, so the demo institution stays active.
    const suffix = Date.now().toString().slice(-6);
    const number = `E2E/${suffix}/PKS`;
    await page.getByTestId("agreement-new").click();
    const create = page.getByTestId("agreement-create-form");
    await expect(create.getByTestId("ag-quota")).toHaveValue("1000");
    await expect(create.locator("input[type=checkbox]:checked")).toHaveCount(9);
    await create.getByTestId("ag-institution-number").fill(number);
    await create.getByTestId("ag-dukcapil-number").fill(`470/${suffix}/DUKCAPIL`);
    await create.getByTestId("ag-institution-party").fill("Kepala Pelaksana BPBD");
    await create.getByTestId("ag-dukcapil-party").fill("Kepala Disdukcapil");
    await create.getByTestId("ag-signed-on").fill("2026-01-05");
    await create.getByTestId("ag-valid-from").fill("2026-01-10");
    await create.getByTestId("ag-valid-to").fill("2027-01-09");
    await create.locator('input[data-element="alamat"]').uncheck();
    await create.getByTestId("agreement-create-submit").click();
    await expect(page.getByTestId("agreement-saved")).toBeVisible();
    const row = page.locator(`[data-testid="agreement-row"][data-number="${number}"]`);
    await expect(row.getByTestId("agreement-status")).toHaveAttribute("data-status", "draft");
    await expect(page.getByTestId("access-state").first()).toHaveAttribute("data-code", "ACTIVE");

    await row.getByTestId("agreement-manage").click();
    const editor = page.getByTestId("agreement-editor");
    await expect(editor.getByTestId("agreement-editor-title")).toContainText(number);
    await expect(editor.locator('input[data-element="alamat"]')).not.toBeChecked();
    await editor.getByTestId("ag-quota").fill("750");
    await editor.getByTestId("agreement-save").click();
    await expect(row).toContainText("750");

    // An addendum that does not extend the agreement is refused in Indonesian.
    await editor.getByTestId("addendum-number").fill(`ADD/${suffix}`);
    await editor.getByTestId("addendum-signed-on").fill("2026-06-01");
    await editor.getByTestId("addendum-valid-to").fill("2026-12-31");
    await editor.getByTestId("addendum-submit").click();
    await expect(page.getByTestId("agreement-error")).toContainText("harus setelah akhir masa berlaku");

    await editor.getByTestId("sptjm-name").fill("Kepala Pelaksana BPBD (Demo)");
    await editor.getByTestId("sptjm-position").fill("Kepala Pelaksana");
    await editor.getByTestId("sptjm-signed-on").fill("2026-01-06");
    await editor.getByTestId("sptjm-submit").click();
    await expect(row.getByTestId("agreement-sptjm")).toContainText("Kepala Pelaksana BPBD (Demo)");

    // Terminate: cancel once, then confirm.
    await editor.getByTestId("agreement-to-terminated").click();
    await page.getByTestId("agreement-confirm-cancel").click();
    await expect(page.getByTestId("agreement-confirm")).toHaveCount(0);
    await expect(row.getByTestId("agreement-status")).toHaveAttribute("data-status", "draft");
    await editor.getByTestId("agreement-to-terminated").click();
    await expect(page.getByTestId("agreement-confirm")).toContainText("tidak dapat dibatalkan");
    await page.getByTestId("agreement-confirm-yes").click();
    await expect(row.getByTestId("agreement-status")).toHaveAttribute("data-status", "terminated");
    await expect(page.getByTestId("agreement-editor").getByTestId("addendum-submit")).toHaveCount(0);
    await expect(page.getByTestId("access-state").first()).toHaveAttribute("data-code", "ACTIVE");
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
