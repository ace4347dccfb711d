// The audit page /jejak-audit. The signed-in journey of the demo auditor runs at the end of
// account.spec.ts (`auditTrailJourney` in audit_journey.ts): `auditor.demo` is the only demo
// account with `audit.verify`, and its first sign-in (passkey enrolment) happens there, in that
// browser context. Here: what anyone can check without signing in.
import { test, expect } from "@playwright/test";

test("the audit page refuses anonymous visitors", async ({ page }) => {
  await page.context().clearCookies();
  await page.goto("/jejak-audit");
  await expect(page).toHaveURL(/\/masuk$/);
});

test("the audit page's data refuses anonymous callers", async ({ request, baseURL }) => {
  const res = await request.post("/api/sf/search_access", {
    headers: { Origin: new URL(baseURL ?? "").origin },
    form: {
      "form[nik]": "3313015001900001",
      "form[operator]": "",
      "form[institution_id]": "",
      "form[outcome_code]": "",
      "form[from_day]": "",
      "form[to_day]": "",
      "form[cursor]": "",
    },
  });
  expect(res.status()).toBe(401);
});
