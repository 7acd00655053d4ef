// A local stand-in for an organisation's tool: prints each webhook the app sends and whether its Standard Webhooks
// signature verifies with the endpoint's secret. Node only, nothing to install.
//   WEBHOOK_SECRET=whsec_... node scripts/webhook-receiver.mjs [port]     (default port 9000)
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const port = Number(process.argv[2] ?? 9000);
const secret = process.env.WEBHOOK_SECRET ?? '';
const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

function verifies(id, timestamp, body, header) {
  if (!secret) return 'no WEBHOOK_SECRET given';
  const expected = 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return (header ?? '').split(' ').some(s => s.length === expected.length && timingSafeEqual(Buffer.from(s), Buffer.from(expected)))
    ? 'signature verifies' : 'SIGNATURE DOES NOT VERIFY';
}

createServer((req, res) => {
  let body = '';
  req.on('data', chunk => { body += chunk; });
  req.on('end', () => {
    const id = req.headers['webhook-id'];
    const event = (() => { try { return JSON.parse(body); } catch { return {}; } })();
    console.log(`${new Date().toISOString()} ${event.type ?? '?'} webhook-id=${id} ${verifies(id, req.headers['webhook-timestamp'], body, req.headers['webhook-signature'])}`);
    console.log(`  ${body}`);
    res.writeHead(204).end();
  });
}).listen(port, '127.0.0.1', () => console.log(`Listening on http://127.0.0.1:${port}/ (Ctrl+C to stop)`));
