import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A server started as a child process; its output is kept (tail) to explain a failure. */
export class Child {
  readonly proc: ChildProcess;
  private out = '';
  private exited: Promise<number | null>;
  private frozen = false;

  constructor(readonly name: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT) {
    this.proc = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      this.out = (this.out + b.toString()).slice(-20_000);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get output(): string {
    return this.out;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits until `url` answers 200 (or the child exits / the timeout passes). */
  async waitReady(url: string, timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.alive) throw new Error(`${this.name} exited during start:\n${this.out}`);
      try {
        const r = await fetch(url);
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(200);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.out}`);
  }

  /** Stops the process (SIGSTOP) so it uses no CPU while the other side is measured. */
  freeze() {
    if (this.alive && !this.frozen) {
      this.proc.kill('SIGSTOP');
      this.frozen = true;
    }
  }

  thaw() {
    if (this.alive && this.frozen) {
      this.proc.kill('SIGCONT');
      this.frozen = false;
    }
  }

  async stop(timeoutMs = 60_000): Promise<number | null> {
    this.thaw();
    if (this.alive) this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.alive && this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
