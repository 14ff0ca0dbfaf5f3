// Real headless Chromium for browser tests, driven by playwright-core. Debian's `chromium` package
// is used (TASKDROP_CHROMIUM overrides the path); when it is not installed, tests skip with a reason.
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.TASKDROP_CHROMIUM || "/usr/bin/chromium";

/** Why browser tests cannot run here, or undefined when they can. */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `no Chromium at ${CHROMIUM_PATH}: install it (Debian: apt-get install -y chromium) or set TASKDROP_CHROMIUM to its path`;
}

/** `extraArgs` are added to the command line (e.g. `--ignore-certificate-errors-spki-list=…`). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      ...extraArgs,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
