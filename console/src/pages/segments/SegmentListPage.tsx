import { Button, Card, Empty, Space, Table, Tooltip, Typography } from 'antd';
import { ClusterOutlined, PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import { listSegments, segmentHistory, type Segment } from '../../apiSegments';
import { Loadable } from '../../components/Section';
import { fmtInt, fmtTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n';
import { linkProps, navigate } from '../../router';
import { Sparkline } from './Sparkline';

/** Size-over-time sparkline of one segment (its own request: lists are short). */
function Trend({ id }: { id: string }) {
  const { data } = useLoad((signal) => segmentHistory(id, signal).catch(() => []), [id]);
  if (!data?.length) return <Typography.Text type="secondary">—</Typography.Text>;
  return <Sparkline values={data.map((p) => p.size)} testId={`trend-${id}`} />;
}

/** Saved segments with their size, trend and last refresh. */
export default function SegmentListPage() {
  const { t, lang } = useI18n();
  const { data, error, loading, reload } = useLoad((signal) => listSegments(signal), []);
  const cols: ColumnsType<Segment> = [
    {
      title: t('seg.col.name'),
      dataIndex: 'name',
      render: (v: string, r) => (
        <Space orientation="vertical" size={0}>
          <a {...linkProps(`/segments/${encodeURIComponent(r.id)}`)} data-testid="segment-link">
            {v}
          </a>
          {r.description && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{r.description}</Typography.Text>}
        </Space>
      ),
    },
    {
      title: t('seg.col.size'),
      dataIndex: 'size',
      align: 'right',
      width: 110,
      render: (v: number | null, r) => (r.lastError ? <Tooltip title={r.lastError}><Typography.Text type="danger">!</Typography.Text></Tooltip> : v == null ? '—' : <span data-testid="segment-size">{fmtInt(lang, v)}</span>),
    },
    { title: t('seg.col.trend'), key: 'trend', width: 180, render: (_: unknown, r) => <Trend id={r.id} /> },
    { title: t('seg.col.refreshed'), dataIndex: 'refreshedAt', width: 190, render: (v: string | null) => (v ? fmtTime(lang, v) : t('seg.notRefreshed')) },
    { title: t('seg.col.updated'), dataIndex: 'updatedAt', width: 190, responsive: ['xl'], render: (v: string) => fmtTime(lang, v) },
  ];
  return (
    <div data-testid="page-segments">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('seg.list.title')}
        </Typography.Title>
        <Space>
          <Button icon={<ClusterOutlined />} onClick={() => navigate('/segments/auto')} data-testid="segments-auto">
            {t('seg.list.auto')}
          </Button>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/segments/new')} data-testid="segments-new">
            {t('seg.list.new')}
          </Button>
        </Space>
      </Space>
      <Loadable loading={loading && !data} error={error} onRetry={reload}>
        <Card>
          {data && data.length === 0 ? (
            <Empty description={t('seg.list.empty')} />
          ) : (
            <Table<Segment> data-testid="table-segments" size="middle" rowKey="id" columns={cols} dataSource={data ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} />
          )}
        </Card>
      </Loadable>
    </div>
  );
}
