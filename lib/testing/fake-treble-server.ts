/**
 * The fake Treble (lib/testing/fake-treble.ts) as a process of its own, for the Playwright run:
 * FAKE_TREBLE_PORT, FAKE_TREBLE_API_KEY, and FAKE_TREBLE_DELAY_MS (each answer waits that long,
 * so a spec can watch a plan's progress). GET /_calls lists what it received.
 */
import { startFakeTreble } from "./fake-treble";

void startFakeTreble({
  apiKey: process.env.FAKE_TREBLE_API_KEY,
  port: Number(process.env.FAKE_TREBLE_PORT),
  delayMs: Number(process.env.FAKE_TREBLE_DELAY_MS ?? 0),
}).then((fake) => process.stdout.write(`fake Treble on ${fake.url}\n`));
