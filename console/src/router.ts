import { useSyncExternalStore } from 'react';

// A tiny history-API router: the console has only a handful of routes.
const NAV_EVENT = 'liebian:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(NAV_EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(NAV_EVENT, cb);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export function usePath(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAV_EVENT));
}

export type Route =
  | { name: 'login' }
  | { name: 'overview' }
  | { name: 'events' }
  | { name: 'users'; q: string }
  | { name: 'user'; profileId: string }
  | { name: 'profiles' }
  | { name: 'segments' }
  | { name: 'segmentNew' }
  | { name: 'segmentsAuto' }
  | { name: 'segment'; segmentId: string; edit: boolean }
  | { name: 'recommend' }
  | { name: 'notFound' };

export function matchRoute(pathWithQuery: string): Route {
  const [path = '/', query = ''] = pathWithQuery.split('?');
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean === '/login') return { name: 'login' };
  if (clean === '/') return { name: 'overview' };
  if (clean === '/events') return { name: 'events' };
  if (clean === '/users') return { name: 'users', q: new URLSearchParams(query).get('q') ?? '' };
  const m = /^\/users\/([^/]+)$/.exec(clean);
  if (m?.[1]) return { name: 'user', profileId: decodeURIComponent(m[1]) };
  if (clean === '/profiles') return { name: 'profiles' };
  if (clean === '/segments') return { name: 'segments' };
  if (clean === '/segments/new') return { name: 'segmentNew' };
  if (clean === '/segments/auto') return { name: 'segmentsAuto' };
  if (clean === '/recommend') return { name: 'recommend' };
  const sg = /^\/segments\/([^/]+)(\/edit)?$/.exec(clean);
  if (sg?.[1]) return { name: 'segment', segmentId: decodeURIComponent(sg[1]), edit: Boolean(sg[2]) };
  return { name: 'notFound' };
}

/** Props for an <a> that navigates client-side but still works with middle-click / new tab. */
export function linkProps(to: string) {
  return {
    href: to,
    onClick: (e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean; preventDefault: () => void }) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(to);
    },
  };
}
