import { Input, InputNumber, Segmented, Select, Space, Typography } from 'antd';
import { useI18n, type T } from '../../i18n';
import { rfmSegmentLabel, stageLabel } from '../profiles/labels';
import { ENUM_VALUES, LIST_OPS, NO_VALUE_OPS, type FieldType, type TimeValue } from './ruleModel';

type V = unknown;

const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte', 'between']);

function enumLabel(t: T, field: string, v: string): string {
  if (field === 'lifecycleStage') return stageLabel(t, v);
  if (field === 'rfmSegment') return rfmSegmentLabel(t, v);
  return v;
}

/** A time: `{ daysAgo: N }` (relative) or an ISO date. */
function TimeInput({ value, onChange, status }: { value: V; onChange: (v: TimeValue) => void; status?: 'error' }) {
  const { t } = useI18n();
  const relative = typeof value !== 'string';
  return (
    <Space size={4}>
      <Segmented
        size="small"
        value={relative ? 'rel' : 'date'}
        onChange={(m) => onChange(m === 'rel' ? { daysAgo: 30 } : new Date().toISOString().slice(0, 10))}
        options={[
          { value: 'rel', label: t('seg.time.relative') },
          { value: 'date', label: t('seg.time.date') },
        ]}
      />
      {relative ? (
        <Space size={4}>
          <InputNumber size="small" min={0} max={36600} value={(value as { daysAgo?: number } | undefined)?.daysAgo ?? null} status={status} onChange={(n) => onChange({ daysAgo: Number(n ?? 0) })} style={{ width: 80 }} />
          <Typography.Text type="secondary">{t('seg.time.daysAgo')}</Typography.Text>
        </Space>
      ) : (
        <input type="date" className="seg-date" value={String(value).slice(0, 10)} onChange={(e) => onChange(e.target.value)} />
      )}
    </Space>
  );
}

/**
 * The value part of a condition, by field type and operator (docs/segments.md's table):
 * nothing for exists, a list for in / not in, two inputs for between, a time for time fields.
 * `type` 'property' is an event property filter (strings, or numbers with numeric operators).
 */
export function ValueInput({ type, field, op, value, onChange, status, testId }: {
  type: FieldType | 'property';
  field: string;
  op: string;
  value: V;
  onChange: (v: V) => void;
  status?: 'error';
  testId?: string;
}) {
  const { t } = useI18n();
  if (NO_VALUE_OPS.has(op)) return null;
  const enumVals = type === 'text' ? ENUM_VALUES[field] : undefined;
  const numeric = type === 'number' || ((type === 'identify' || type === 'property') && NUMERIC_OPS.has(op));
  const common = { size: 'small' as const, status, 'data-testid': testId };

  if (LIST_OPS.has(op)) {
    const arr = Array.isArray(value) ? (value as Array<string | number>) : [];
    return (
      <Select
        {...common}
        mode={enumVals ? 'multiple' : 'tags'}
        style={{ minWidth: 220 }}
        placeholder={t('seg.value.listPlaceholder')}
        value={arr.map(String)}
        options={enumVals?.map((v) => ({ value: v, label: enumLabel(t, field, v) }))}
        onChange={(xs: string[]) => onChange(type === 'number' ? xs.map(Number).filter((n) => Number.isFinite(n)) : xs)}
        tokenSeparators={[',', '，']}
      />
    );
  }
  if (op === 'between') {
    const [a, b] = Array.isArray(value) ? (value as V[]) : [undefined, undefined];
    const one = (x: V, i: 0 | 1) =>
      type === 'time' ? (
        <TimeInput value={x ?? { daysAgo: 0 }} onChange={(v) => onChange(i === 0 ? [v, b] : [a, v])} status={status} />
      ) : (
        <InputNumber {...common} value={typeof x === 'number' ? x : null} onChange={(n) => onChange(i === 0 ? [n ?? undefined, b] : [a, n ?? undefined])} style={{ width: 100 }} />
      );
    return (
      <Space size={4} wrap>
        {one(a, 0)}
        <Typography.Text type="secondary">–</Typography.Text>
        {one(b, 1)}
      </Space>
    );
  }
  if (op === 'within_last_days') {
    return (
      <Space size={4}>
        <InputNumber {...common} min={1} max={3660} value={typeof value === 'number' ? value : null} onChange={(n) => onChange(n ?? undefined)} style={{ width: 80 }} />
        <Typography.Text type="secondary">{t('seg.time.days')}</Typography.Text>
      </Space>
    );
  }
  if (type === 'time') return <TimeInput value={value} onChange={onChange} status={status} />;
  if (type === 'flag') {
    return (
      <Select
        {...common}
        style={{ width: 90 }}
        value={value === false ? 'false' : 'true'}
        onChange={(v: string) => onChange(v === 'true')}
        options={[
          { value: 'true', label: t('seg.value.true') },
          { value: 'false', label: t('seg.value.false') },
        ]}
      />
    );
  }
  if (enumVals) {
    return <Select {...common} style={{ minWidth: 160 }} value={typeof value === 'string' ? value : undefined} onChange={onChange} options={enumVals.map((v) => ({ value: v, label: enumLabel(t, field, v) }))} />;
  }
  if (numeric) {
    return <InputNumber {...common} value={typeof value === 'number' ? value : value === '' || value == null ? null : Number(value)} onChange={(n) => onChange(n ?? undefined)} style={{ width: 120 }} />;
  }
  return <Input {...common} style={{ width: 180 }} value={value == null ? '' : String(value)} onChange={(e) => onChange(e.target.value)} />;
}
