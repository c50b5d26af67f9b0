// Cold start to first screen and memory of the CityWallet app, as a table.
// `cargo xtask bench-app`. Each run starts the real app under Xvfb with a new data directory
// (so it also creates its embedded devnet), reads the app's own startup line (process start
// to the UI's first request, which it makes as its first screen mounts), waits 5 s, then
// reads the resident memory of the app and of its WebKit child processes from /proc.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const appBin = path.join(target, 'debug', 'citywallet-app');
const RUNS = 5;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function children(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d), ...children(Number(d)));
    } catch {}
  }
  return out;
}

const n = 500 + Math.floor(Math.random() * 400);
const xvfb = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x900x24', '-nolisten', 'tcp']);
while (!fs.existsSync(`/tmp/.X11-unix/X${n}`)) await sleep(50);

const rows = [];
for (let i = 0; i < RUNS; i++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citywallet-bench-'));
  const app = spawn(appBin, ['--data-dir', dir], {
    env: { ...process.env, DISPLAY: `:${n}`, CITYWALLET_STARTUP_LOG: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const first = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no first screen in 60 s: ${err}`)), 60_000);
    app.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/first screen after (\d+) ms/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  await sleep(5000);
  const kids = children(app.pid);
  const own = rssKiB(app.pid);
  const webkit = kids.reduce((a, p) => a + rssKiB(p), 0);
  rows.push({ first, own, webkit });
  app.kill('SIGTERM');
  await sleep(500);
  fs.rmSync(dir, { recursive: true, force: true });
}
xvfb.kill();

const mib = (k) => (k / 1024).toFixed(1);
console.log('| run | cold start to first screen | app RSS | WebKit processes RSS | total RSS |');
console.log('|---|---|---|---|---|');
rows.forEach((r, i) =>
  console.log(`| ${i + 1} | ${r.first} ms | ${mib(r.own)} MiB | ${mib(r.webkit)} MiB | ${mib(r.own + r.webkit)} MiB |`));
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| median | ${med(rows.map((r) => r.first))} ms | ${mib(med(rows.map((r) => r.own)))} MiB | ${mib(med(rows.map((r) => r.webkit)))} MiB | ${mib(med(rows.map((r) => r.own + r.webkit)))} MiB |`);
