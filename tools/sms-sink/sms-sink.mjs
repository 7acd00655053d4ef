// The local stand-in for Azure Communication Services SMS: it speaks the same REST API (POST /sms?api-version=2021-03-07),
// verifies each request's HMAC-SHA256 signature with the access key, as the service does, keeps what it received, and
// shows it on a page (GET /) and as JSON (GET /messages; DELETE /messages forgets them). Node only, nothing to install.
//   SMS_SINK_ACCESS_KEY=<base64> node tools/sms-sink/sms-sink.mjs [port]      (default port 5090)
// The app's setting that points at it: Sms__ConnectionString="endpoint=http://127.0.0.1:5090/;accesskey=<the same key>"
import { createServer } from 'node:http';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

const port = Number(process.argv[2] ?? 5090);
const key = Buffer.from(process.env.SMS_SINK_ACCESS_KEY ?? '', 'base64');
if (key.length === 0) { console.error('SMS_SINK_ACCESS_KEY (base64) is required.'); process.exit(2); }
const messages = [];

// GSM 03.38: the basic table and the extension table (two septets each).
const basic = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const extended = '^{}\\[~]|€\f';
function encoding(text) {
  const chars = [...text];
  if (chars.every(c => basic.includes(c) || extended.includes(c))) {
    const septets = chars.reduce((n, c) => n + (extended.includes(c) ? 2 : 1), 0);
    return { gsm7: true, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  }
  return { gsm7: false, segments: chars.length <= 70 ? 1 : Math.ceil(chars.length / 67) };
}

const same = (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

// What the service checks: the body's hash, a recent date, and the signature over method, path and query, date, host and hash.
function refusal(req, body) {
  const date = req.headers['x-ms-date'] ?? '';
  const hash = req.headers['x-ms-content-sha256'] ?? '';
  const auth = /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(.+)$/.exec(req.headers.authorization ?? '');
  if (!auth) return 'no HMAC-SHA256 authorization';
  if (!same(hash, createHash('sha256').update(body).digest('base64'))) return 'the body does not match x-ms-content-sha256';
  const at = Date.parse(date);
  if (Number.isNaN(at) || Math.abs(Date.now() - at) > 15 * 60 * 1000) return 'x-ms-date is missing or more than 15 minutes off';
  const expected = createHmac('sha256', key).update(`${req.method}\n${req.url}\n${date};${req.headers.host};${hash}`).digest('base64');
  return same(auth[1], expected) ? null : 'the signature does not verify';
}

const escape = s => String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function page() {
  const rows = messages.slice().reverse().map(m => `<tr><td>${escape(m.receivedAt)}</td><td>${escape(m.to)}</td><td>${escape(m.from)}</td>` +
    `<td>${escape(m.message).replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>')}</td><td>${m.segments}${m.gsm7 ? '' : ' (UCS-2)'}</td></tr>`).join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta http-equiv="refresh" content="5"><title>SMS sink</title><style>body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;width:100%}` +
    `td,th{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}</style></head><body><h1>Texts received (${messages.length})</h1>` +
    `<table><thead><tr><th>Received</th><th>To</th><th>From</th><th>Text</th><th>SMS</th></tr></thead><tbody>${rows}</tbody></table></body></html>`;
}

function send(res, status, body, type = 'application/json') {
  if (status === 204) return res.writeHead(204).end();
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` }).end(type === 'application/json' ? JSON.stringify(body) : body);
}

createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://sink');
    if (req.method === 'POST' && url.pathname === '/sms') {
      const why = refusal(req, body);
      if (why) { console.log(`refused: ${why}`); return send(res, 401, { error: { code: 'Denied', message: why } }); }
      let request;
      try { request = JSON.parse(body.toString('utf8')); } catch { return send(res, 400, { error: { code: 'BadRequest', message: 'not JSON' } }); }
      const recipients = request.smsRecipients ?? [];
      if (!request.from || !request.message || recipients.length === 0 || !recipients.every(r => /^\+[1-9][0-9]{6,14}$/.test(r.to ?? '')))
        return send(res, 400, { error: { code: 'BadRequest', message: 'from, message and smsRecipients[].to in E.164 are required' } });
      const value = recipients.map(r => {
        const m = { id: randomUUID(), from: request.from, to: r.to, message: request.message, receivedAt: new Date().toISOString(), ...encoding(request.message) };
        messages.push(m);
        console.log(`${m.receivedAt} to ${m.to}: ${m.message} (${m.segments} SMS${m.gsm7 ? '' : ', UCS-2'})`);
        return { to: r.to, messageId: m.id, httpStatusCode: 202, repeatabilityResult: 'accepted', successful: true };
      });
      return send(res, 202, { value });
    }
    if (req.method === 'GET' && url.pathname === '/messages') {
      const to = url.searchParams.get('to');
      return send(res, 200, messages.filter(m => !to || m.to === to));
    }
    if (req.method === 'DELETE' && url.pathname === '/messages') { messages.length = 0; return send(res, 204, ''); }
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, page(), 'text/html');
    send(res, 404, { error: { code: 'NotFound', message: 'no such resource' } });
  });
}).listen(port, '127.0.0.1', () => console.log(`SMS sink on http://127.0.0.1:${port}/ (the texts received are listed there)`));
