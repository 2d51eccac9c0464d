/**
 * npm run webhooks:receive: a sample partner endpoint for the demo hub's webhooks. Listens on
 * 127.0.0.1:4000 (WEBHOOK_RECEIVER_PORT), checks each post's Hub-Webhook-Signature with the SDK
 * against the hub's JWKS (HUB_URL, default http://127.0.0.1:3000), prints the event, and
 * answers 200, or 401 to a post that is not the hub's. The demo partners subscribe to it
 * (scripts/demo-webhooks.ts), one path per partner: /jade-tea, /harbor-cinema, ...
 */
import { createServer } from 'node:http';
import { createJwksCache, kidOf, verifyHubWebhook } from '../sdk/index.ts';
import { demoReceiverPort } from './demo-webhooks.ts';

const hubUrl = process.env.HUB_URL ?? 'http://127.0.0.1:3000';
const port = Number(process.env.WEBHOOK_RECEIVER_PORT ?? demoReceiverPort);
const jwks = createJwksCache({ hubUrl });
/** Events already handled: a redelivery or a repeat after a crash is acknowledged, not redone. */
const seen = new Set<string>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const signature = String(req.headers['hub-webhook-signature'] ?? '');
    try {
      const { event } = await verifyHubWebhook(
        body,
        signature,
        await jwks.forKid(kidOf(signature)),
      );
      const again = seen.has(event.id) ? ' (again: already handled)' : '';
      seen.add(event.id);
      console.log(
        `${new Date().toISOString()} ${req.url} ${event.type}${again} ${JSON.stringify(event.data)}`,
      );
      res.writeHead(200).end();
    } catch (error) {
      console.log(`${req.url} refused: ${error instanceof Error ? error.message : error}`);
      res.writeHead(401).end();
    }
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(`webhook receiver on http://127.0.0.1:${port}/, verifying against ${hubUrl}`);
});
