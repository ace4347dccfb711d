// The demo auditor on /jejak-audit (not a spec: account.spec.ts calls it once the auditor is
// signed in, see audit_trail.spec.ts): the navigation link, a search by a NIK typed in full
// that nobody looked up (the empty state), a clear error for an invalid NIK in Indonesian and
// in English, the chain status, and a full verification that finds the chain intact.
import { expect, Page } from "@playwright/test";
import { waitForHydration } from "./support";

/// Requests the journey makes fail on purpose (for `watchConsole`).
export const AUDIT_JOURNEY_EXPECTED = ["409 /api/sf/search_access"];

export async function auditTrailJourney(page: Page) {
  await page.getByRole("link", { name: "Jejak Audit" }).click();
  await expect(page).toHaveURL(/\/jejak-audit$/);
  await waitForHydration(page);
  await expect(page.getByTestId("audit-title")).toBeVisible();

  // A valid NIK nobody looked up: searched (by its HMAC on the server), nothing found.
  await page.getByTestId("audit-nik").fill("3313015001900001");
  await page.getByTestId("audit-submit").click();
  await expect(page.getByTestId("audit-empty")).toBeVisible();
  await expect(page.getByTestId("audit-csv")).toHaveCount(0);

  // An invalid NIK: a clear error, nothing searched.
  await page.getByTestId("audit-nik").fill("12345");
  await page.getByTestId("audit-submit").click();
  const error = page.getByTestId("audit-search-error");
  await expect(error).toHaveAttribute("data-error-code", "INVALID_NIK");
  await expect(error).toContainText("NIK tidak valid");
  await page.getByTestId("lang-toggle").click();
  await expect(error).toContainText("Invalid NIK");
  await page.getByTestId("lang-toggle").click();

  // The chain: status, then a full verification.
  await expect(page.getByTestId("audit-chain-facts")).toBeVisible();
  await page.getByTestId("audit-verify").click();
  await expect(page.getByTestId("audit-verify-result")).toHaveAttribute("data-intact", "true");
}
