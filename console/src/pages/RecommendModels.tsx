import { useMemo, useState } from 'react';
import { App, Button, Card, Descriptions, Empty, Space, Table, Tag, Typography } from 'antd';
import { ThunderboltOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsCoreOption } from 'echarts/core';
import { Chart } from '../components/Chart';
import { Loadable } from '../components/Section';
import { errorText, useLoad } from '../hooks';
import { fmtInt, fmtTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { getModelStatus, getStats, trainNow, type ModelReport, type StatsRow } from './RecommendApi';

type Row = ModelReport & { name: string };
const METRICS = ['ndcg@10', 'recall@10', 'precision@10', 'hit@10', 'coverage@10'];

/** The trained model: evaluation table and chart from its metadata, training status, CTR per model. */
export default function RecommendModels() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const { data, error, loading, reload } = useLoad((signal) => getModelStatus(signal), []);
  const stats = useLoad((signal) => getStats(30, signal), []);
  const [starting, setStarting] = useState(false);

  const rows: Row[] = useMemo(() => Object.entries(data?.models ?? {}).map(([name, r]) => ({ name, ...r })), [data]);
  const chart = useMemo<EChartsCoreOption>(() => ({
    color: ['#fa541c', '#1677ff', '#52c41a'],
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 36, bottom: 32 },
    xAxis: { type: 'category', data: rows.map((r) => r.name) },
    yAxis: { type: 'value' },
    series: ['ndcg@10', 'recall@10', 'hit@10'].map((m) => ({ name: m, type: 'bar', barMaxWidth: 22, data: rows.map((r) => Number((r.metrics[m] ?? 0).toFixed(4))) })),
  }), [rows]);

  const cols: ColumnsType<Row> = [
    { title: t('col.model'), dataIndex: 'name', render: (v: string) => <Typography.Text strong={v === 'hybrid'}>{v}</Typography.Text> },
    { title: t('col.weight'), dataIndex: 'weight', align: 'right' },
    ...METRICS.map((m) => ({ title: m, key: m, align: 'right' as const, render: (_v: unknown, r: Row) => (r.metrics[m] ?? 0).toFixed(4) })),
    { title: t('col.trainSeconds'), dataIndex: 'train_seconds', align: 'right', render: (v: number) => v.toFixed(2) },
    { title: t('col.peakMb'), dataIndex: 'peak_alloc_mb', align: 'right' },
    { title: t('col.modelMb'), dataIndex: 'model_mb', align: 'right' },
  ];
  const statCols: ColumnsType<StatsRow> = [
    { title: t('col.placement'), dataIndex: 'placement', render: (v: string) => t(`rec.placement.${v}` as MessageKey) },
    { title: t('col.model'), dataIndex: 'model', render: (v: string) => (v === 'all' ? t('rec.all') : v) },
    { title: t('col.impressions'), dataIndex: 'impressions', align: 'right', render: (v: number) => fmtInt(lang, v) },
    { title: t('col.clicks'), dataIndex: 'clicks', align: 'right', render: (v: number) => fmtInt(lang, v) },
    { title: t('col.ctr'), dataIndex: 'ctr', align: 'right', render: (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)}%`) },
  ];

  const train = async () => {
    setStarting(true);
    try {
      await trainNow();
      message.success(t('rec.trainStarted'));
      setTimeout(reload, 1500);
    } catch (e) {
      message.error(errorText(e, t('common.networkError')));
    } finally {
      setStarting(false);
    }
  };

  const last = data?.training.last;
  return (
    <Loadable loading={loading} error={error} onRetry={reload}>
      {data && (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Card size="small">
            <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
              <Descriptions size="small" column={{ xs: 1, md: 2 }}>
                <Descriptions.Item label={t('rec.version')}>{data.version ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('rec.trainedAt')}>{fmtTime(lang, data.trainedAt)}</Descriptions.Item>
                {data.counts && (
                  <Descriptions.Item label={t('rec.data')} span={2}>
                    {t('rec.counts', { users: fmtInt(lang, data.counts.users), items: fmtInt(lang, data.counts.items), interactions: fmtInt(lang, data.counts.interactions), edges: fmtInt(lang, data.counts.edges) })}
                  </Descriptions.Item>
                )}
                {data.validation && <Descriptions.Item label={t('rec.validationLabel')} span={2}>{t('rec.validation', { users: fmtInt(lang, data.validation.users), split: t(data.validation.split.startsWith('time') ? 'rec.split.time' : 'rec.split.random') })}</Descriptions.Item>}
                {last && (
                  <Descriptions.Item label={t('rec.lastTraining')} span={2}>
                    <Tag color={last.outcome === 'trained' ? 'green' : last.outcome === 'skipped' ? 'default' : 'red'}>{t(`rec.outcome.${last.outcome}` as MessageKey)}</Tag>
                    {fmtTime(lang, last.at)} · {last.message}
                  </Descriptions.Item>
                )}
              </Descriptions>
              <Button type="primary" icon={<ThunderboltOutlined />} loading={starting || data.training.running} onClick={train} data-testid="rec-train">
                {data.training.running ? t('rec.training') : t('rec.trainNow')}
              </Button>
            </Space>
            {data.training.running && data.training.progress && <Typography.Text type="secondary">{data.training.progress}</Typography.Text>}
          </Card>
          {rows.length === 0 ? (
            <Empty description={t('rec.noModel')} />
          ) : (
            <>
              <Card title={t('rec.chartTitle')} size="small">
                <Chart option={chart} height={300} testId="rec-chart" />
              </Card>
              <Card title={t('rec.evaluation')} size="small">
                <Table<Row> rowKey="name" size="small" columns={cols} dataSource={rows} pagination={false} scroll={{ x: true }} data-testid="rec-eval-table" />
              </Card>
            </>
          )}
          <Card title={t('rec.stats', { days: 30 })} size="small">
            <Loadable loading={stats.loading} error={stats.error} onRetry={stats.reload}>
              <Table<StatsRow> rowKey={(r) => `${r.placement}:${r.model}`} size="small" columns={statCols} dataSource={stats.data?.rows ?? []} pagination={false} locale={{ emptyText: t('rec.stats.empty') }} />
            </Loadable>
          </Card>
        </Space>
      )}
    </Loadable>
  );
}
