import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';
import { useI18n } from './i18n';

/** Loads data with an AbortSignal; re-runs when deps change. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const { t } = useI18n();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    loadRef.current(ctl.signal).then(
      (d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setLoading(false);
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setError(errorText(err, t('common.networkError')));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [...deps, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, reload };
}

export function errorText(err: unknown, networkText: string): string {
  if (err instanceof ApiError) return err.status === 0 ? networkText : err.message;
  return err instanceof Error ? err.message : String(err);
}
