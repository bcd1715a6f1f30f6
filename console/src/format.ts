import type { Lang } from './i18n';

const nf = (lang: Lang, opts?: Intl.NumberFormatOptions) => new Intl.NumberFormat(lang, opts);

export function fmtInt(lang: Lang, n: number | null | undefined): string {
  return nf(lang, { maximumFractionDigits: 0 }).format(Number(n ?? 0));
}

/** Money is CNY in yuan; always shown with the ¥ sign whatever the UI language. */
export function fmtMoney(lang: Lang, n: number | null | undefined, currency = 'CNY'): string {
  const v = nf(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(n ?? 0));
  if (!currency || currency.toUpperCase() === 'CNY') return `¥${v}`;
  return `${v} ${currency.toUpperCase()}`;
}

export function fmtTime(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(lang, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function shortDay(day: string): string {
  return day.length >= 10 ? day.slice(5, 10) : day;
}
