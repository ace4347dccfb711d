// End-to-end tests run against a SIGAP server that scripts/e2e starts on a free port
// (SIGAP_E2E_URL). The browser is Debian's Chromium: no browser is ever downloaded.
import { defineConfig } from "@playwright/test";

const baseURL = process.env.SIGAP_E2E_URL ?? "http://localhost:3000";

export default defineConfig({
  testDir: "./tests",
  // Debug wasm on a 2-core machine that may be compiling meanwhile: hydration can take seconds,
  // and on the slower hosts (Intel Xeon 2.5 GHz) a phone-emulated page took 44 s to hydrate and
  // one run passed 90 s.
  timeout: 180_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "laptop", use: { viewport: { width: 1366, height: 768 } } },
    { name: "phone", use: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } },
  ],
});
