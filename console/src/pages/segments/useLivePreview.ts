import { useEffect, useState } from 'react';
import { ApiError } from '../../api';
import { getLifecycle } from '../../apiProfiles';
import { previewSegment, type PreviewResult } from '../../apiSegments';
import { kindOf, localIssues, type Rule, type RuleIssue } from './ruleModel';

export const PREVIEW_DEBOUNCE_MS = 400;

export type PreviewState =
  | { status: 'everyone'; total: number | null }
  | { status: 'incomplete'; issues: RuleIssue[]; total: number | null }
  | { status: 'loading'; last: PreviewResult | null; total: number | null }
  | { status: 'ok'; result: PreviewResult; total: number | null }
  | { status: 'invalid'; issues: RuleIssue[]; total: number | null }
  | { status: 'error'; message: string; total: number | null };

const isEmptyRoot = (r: Rule) => {
  const k = kindOf(r);
  return (k === 'all' || k === 'any') && (r as Record<string, Rule[]>)[k]!.length === 0;
};

/**
 * The live count while editing: a debounced `POST /api/v1/segments/preview` (the previous request
 * is aborted). An empty rule is everyone: the people with computed traits, i.e. the sum of the
 * lifecycle stage counts. Incomplete conditions are not sent; the API's coded errors come back
 * as issues with their rule paths.
 */
export function useLivePreview(rule: Rule): PreviewState {
  const [total, setTotal] = useState<number | null>(null);
  const [state, setState] = useState<PreviewState>({ status: 'everyone', total: null });

  useEffect(() => {
    const ctl = new AbortController();
    getLifecycle({}, ctl.signal).then(
      (lc) => setTotal(Object.values(lc.stages).reduce((s, n) => s + n, 0)),
      () => undefined,
    );
    return () => ctl.abort();
  }, []);

  const key = JSON.stringify(rule);
  useEffect(() => {
    if (isEmptyRoot(rule)) {
      setState({ status: 'everyone', total });
      return;
    }
    const local = localIssues(rule);
    if (local.length) {
      setState({ status: 'incomplete', issues: local, total });
      return;
    }
    setState((s) => ({ status: 'loading', last: s.status === 'ok' ? s.result : s.status === 'loading' ? s.last : null, total }));
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      previewSegment(rule, 10, ctl.signal).then(
        (result) => setState({ status: 'ok', result, total }),
        (err: unknown) => {
          if (ctl.signal.aborted) return;
          if (err instanceof ApiError && err.status === 400) {
            const details = Array.isArray(err.details) ? (err.details as { path?: string; message?: string }[]) : [];
            const issues = details.length
              ? details.map((d) => ({ path: d.path ?? 'rule', message: d.message ?? err.message, code: err.code }))
              : [{ path: 'rule', message: err.message, code: err.code }];
            setState({ status: 'invalid', issues, total });
          } else setState({ status: 'error', message: err instanceof Error ? err.message : String(err), total });
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [key, total]);

  return state;
}
