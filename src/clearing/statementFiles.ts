// Statements as files a finance person can open: JSON, CSV (every CDR line) and PDF.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Executor } from './ledger.ts';
import { getStatement, statementCsv } from './statements.ts';
import { statementPdf } from './statementPdf.ts';

export type StatementFormat = 'json' | 'csv' | 'pdf';

export async function writeStatementFiles(
  db: Executor,
  statementIds: string[],
  dir: string,
  formats: StatementFormat[],
  onProgress?: (done: number, total: number, what: string) => void,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [i, id] of statementIds.entries()) {
    const base = path.join(dir, id);
    if (formats.includes('json')) {
      writeFileSync(`${base}.json`, `${JSON.stringify(await getStatement(db, id), null, 2)}\n`);
      written.push(`${base}.json`);
    }
    if (formats.includes('csv')) {
      const out = createWriteStream(`${base}.csv`);
      for await (const chunk of statementCsv(db, id)) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      await new Promise<void>((r) => out.end(() => r()));
      written.push(`${base}.csv`);
    }
    if (formats.includes('pdf')) {
      writeFileSync(`${base}.pdf`, await statementPdf(db, id));
      written.push(`${base}.pdf`);
    }
    onProgress?.(i + 1, statementIds.length, id);
  }
  return written;
}
