import { existsSync } from 'node:fs'

// Kept apart from harness.ts so that deciding whether to skip loads neither
// Crossport nor playwright.

/** Debian's `chromium` package, installed by `scripts/ensure-chromium.sh`. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // No audio device on CI machines; the demo clip is silent anyway.
  '--mute-audio',
  '--autoplay-policy=no-user-gesture-required',
]

/** undefined when Chromium is not installed here (the browser tests then report themselves skipped). */
export function findChromium(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined
}
