// A real SMTP server (smtp-server package) for the tests: records every accepted message and can
// answer the next DATA commands with a temporary (451) or permanent (550) failure.
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  headers: Map<string, string>;
  subject: string;
  text: string;
  attachments: { filename: string; contentType: string; content: Buffer }[];
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private failures: (451 | 550)[] = [];
  private server!: SMTPServer;
  port = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `times` messages are refused with this reply code. */
  fail(code: 451 | 550, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(code);
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const failure = this.failures.shift();
          if (failure) {
            const err = Object.assign(new Error(failure === 451 ? 'Try again later' : 'Mailbox unavailable'), { responseCode: failure });
            return callback(err);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          this.messages.push(parseMail(raw, session.envelope.mailFrom ? String(session.envelope.mailFrom.address) : '', session.envelope.rcptTo.map((r) => r.address)));
          callback(null);
        });
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split(/\r\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return headers;
}

function decode(body: string, encoding: string | undefined): Buffer {
  if (encoding?.toLowerCase() === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (encoding?.toLowerCase() === 'quoted-printable') {
    const soft = body.replace(/=\r\n/g, '');
    return Buffer.from(soft.replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return Buffer.from(body, 'utf8');
}

const decodeWords = (s: string) => s.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_, enc: string, text: string) => (enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decode(text.replace(/_/g, ' '), 'quoted-printable').toString('utf8'))).replace(/\?=\s+=\?/g, '');

/** Enough MIME for the tests: headers, the text part and attachments (one level of multipart). */
export function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = parseHeaders(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const mail: ReceivedMail = { from, to, raw, headers, subject: decodeWords(headers.get('subject') ?? ''), text: '', attachments: [] };
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  if (!boundary) {
    mail.text = decode(body, headers.get('content-transfer-encoding')).toString('utf8');
    return mail;
  }
  for (const part of body.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const p = part.replace(/^\r\n/, '');
    const at = p.indexOf('\r\n\r\n');
    const h = parseHeaders(p.slice(0, at));
    const content = decode(p.slice(at + 4).replace(/\r\n$/, ''), h.get('content-transfer-encoding'));
    const filename = /filename="?([^";]+)"?/i.exec(h.get('content-disposition') ?? '')?.[1];
    if (filename) mail.attachments.push({ filename, contentType: (h.get('content-type') ?? '').split(';')[0], content });
    else if ((h.get('content-type') ?? '').startsWith('text/plain')) mail.text = content.toString('utf8');
  }
  return mail;
}
