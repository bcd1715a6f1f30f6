/** One day's messages: collected unordered, drained sorted by time with ids and timestamps filled in. */
import type { SegmentMessage } from './types.ts';

const SHIFT = 2 ** 24;

export class DayBuffer {
  private msgs: SegmentMessage[] = [];
  private times: number[] = [];
  private start = 0;
  private end = 0;

  reset(start: number, end: number): void {
    this.msgs = [];
    this.times = [];
    this.start = start;
    this.end = end;
  }

  get size(): number {
    return this.msgs.length;
  }

  push(t: number, m: SegmentMessage): void {
    if (!(t >= this.start && t < this.end)) throw new Error(`sim: time ${t} outside day [${this.start}, ${this.end})`);
    this.msgs.push(m);
    this.times.push(t);
  }

  /** Sorted by (time, insertion order); messageIds are `${prefix}${counter}` numbered in output order. */
  drain(prefix: string, counter: number): SegmentMessage[] {
    const n = this.msgs.length;
    const msgs = this.msgs, times = this.times;
    let order: ArrayLike<number>;
    if (n < SHIFT) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = (times[i]! - this.start) * SHIFT + i;
      keys.sort();
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = keys[i]! % SHIFT;
      order = o;
    } else {
      order = Array.from({ length: n }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
    }
    const out = new Array<SegmentMessage>(n);
    let lastT = NaN, lastIso = '';
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      const m = msgs[j]!;
      const t = times[j]!;
      if (t !== lastT) {
        lastT = t;
        lastIso = new Date(t).toISOString();
      }
      m.messageId = prefix + (counter + i);
      m.timestamp = lastIso;
      out[i] = m;
    }
    this.msgs = [];
    this.times = [];
    return out;
  }
}
