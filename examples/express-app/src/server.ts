/** Runs the example: CREDITS_URL and CREDITS_API_KEY name the billing service, PORT where to listen. */
import { CreditsClient } from '@credit-billing/client';
import { createApp } from './app.js';

const credits = new CreditsClient({
  baseUrl: process.env.CREDITS_URL ?? 'http://127.0.0.1:3000',
  apiKey: process.env.CREDITS_API_KEY ?? '',
});
const app = createApp(credits, {
  async sendMessage(to, text) {
    console.log(`message to ${to}: ${text}`);
  },
  async screen() {
    return { score: Math.round(Math.random() * 100) };
  },
  async interview(_candidateId, maxSeconds) {
    return { durationSeconds: Math.min(maxSeconds, 600) };
  },
});
const port = Number(process.env.PORT ?? 4000);
app.listen(port, () => console.log(`example listening on http://127.0.0.1:${port}`));
