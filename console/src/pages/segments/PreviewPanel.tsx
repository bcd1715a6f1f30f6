import { Alert, Card, Spin, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { PreviewResult } from '../../apiSegments';
import { fmtInt } from '../../format';
import { useI18n } from '../../i18n';
import { linkProps } from '../../router';
import { TraitLabel, TraitValue } from '../user360/traitValue';
import type { PreviewState } from './useLivePreview';

/** Traits of the sample shown as columns (when the API returns them). */
const SAMPLE_KEYS = ['orders', 'gmv', 'lifecycleStage'];

type Row = PreviewResult['sample'][number];

/** The live count (with its share of everyone) and a sample of matching people. */
export function PreviewPanel({ state }: { state: PreviewState }) {
  const { t, lang } = useI18n();
  const total = state.total;
  const count = state.status === 'ok' ? state.result.count : state.status === 'loading' ? state.last?.count ?? null : state.status === 'everyone' ? total : null;
  const sample = state.status === 'ok' ? state.result.sample : state.status === 'loading' ? state.last?.sample ?? [] : [];
  const extraKeys = SAMPLE_KEYS.filter((k) => sample.some((r) => k in r));
  const cols: ColumnsType<Row> = [
    { title: t('col.user'), dataIndex: 'userId', ellipsis: true, render: (v: string | null, r) => <a {...linkProps(`/users/${encodeURIComponent(r.profileId)}`)}>{v ?? r.profileId}</a> },
    ...extraKeys.map((k) => ({ title: <TraitLabel k={k} lang={lang} />, dataIndex: k, ellipsis: true, render: (v: unknown) => <TraitValue k={k} v={v} t={t} lang={lang} /> })),
  ];
  return (
    <Card title={t('seg.preview.count')} data-testid="segment-preview">
      <Spin spinning={state.status === 'loading'} size="small">
        <div className="seg-count" data-testid="preview-count" data-state={state.status}>
          {count == null ? '—' : fmtInt(lang, count)}
        </div>
        <Typography.Text type="secondary">
          {state.status === 'everyone'
            ? t('seg.builder.everyone')
            : count != null && total
              ? t('seg.preview.of', { total: fmtInt(lang, total), pct: `${((count / total) * 100).toFixed(1)}%` })
              : ''}
          {state.status === 'ok' && state.result.tookMs != null ? ` · ${t('seg.preview.took', { ms: Math.round(state.result.tookMs) })}` : ''}
        </Typography.Text>
      </Spin>
      {state.status === 'incomplete' && <Alert style={{ marginTop: 12 }} type="warning" showIcon title={t('seg.preview.incomplete')} />}
      {state.status === 'invalid' && <Alert style={{ marginTop: 12 }} type="error" showIcon title={t('seg.preview.invalid')} data-testid="preview-invalid" />}
      {state.status === 'error' && <Alert style={{ marginTop: 12 }} type="error" showIcon title={t('common.error')} description={state.message} />}
      {sample.length > 0 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('seg.preview.sample')}
          </Typography.Title>
          <Table<Row> size="small" rowKey="profileId" columns={cols} dataSource={sample} pagination={false} data-testid="preview-sample" />
        </>
      )}
    </Card>
  );
}
