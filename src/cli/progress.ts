import cliProgress from 'cli-progress';

/** A progress bar on stderr (also readable when stderr is not a terminal). */
export function progressBar(label: string, total: number) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | eta {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  let value = 0;
  bar.start(Math.max(1, total), 0, { rate: 0 });
  return {
    update(v: number, newTotal?: number) {
      value = v;
      if (newTotal !== undefined) bar.setTotal(Math.max(1, newTotal));
      bar.update(v, { rate: Math.round(v / Math.max(0.001, (Date.now() - t0) / 1000)) });
    },
    stop() {
      bar.update(value);
      bar.stop();
    },
  };
}
