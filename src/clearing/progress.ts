// A progress bar on stderr for long CLI steps (silent when stderr is not a terminal, except a final line).
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let last = 0;
  return (done: number, total: number, what = '') => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${what}`.slice(0, 120);
    if (stream.isTTY) stream.write(`\r${line.padEnd(120)}${done >= total ? '\n' : ''}`);
    else if (done >= total) stream.write(`${line}\n`);
  };
}
