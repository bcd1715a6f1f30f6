import { useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Col, Empty, Popconfirm, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, DownloadOutlined, EditOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsCoreOption } from 'echarts/core';
import { getToken } from '../../api';
import { deleteSegment, downloadSegmentCsv, getSegment, segmentChanges, segmentHistory, segmentMembers, type ChangeRow, type MemberRow } from '../../apiSegments';
import { Chart } from '../../components/Chart';
import { Loadable } from '../../components/Section';
import { fmtInt, fmtTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n, type T } from '../../i18n';
import { linkProps, navigate } from '../../router';

const PAGE = 20;

/** Size after each refresh (line) with the entries and exits of that refresh (bars); times in UTC. */
function sizeOption(points: { at: string; size: number; entered: number; exited: number }[], t: T): EChartsCoreOption {
  return {
    color: ['#fa541c', '#52c41a', '#bfbfbf'],
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 36, bottom: 32 },
    xAxis: { type: 'category', data: points.map((p) => p.at.slice(5, 16).replace('T', ' ')) },
    yAxis: [{ type: 'value', scale: true }, { type: 'value', splitLine: { show: false } }],
    series: [
      { name: t('seg.col.size'), type: 'line', data: points.map((p) => p.size), showSymbol: points.length < 30 },
      { name: t('seg.detail.enter'), type: 'bar', yAxisIndex: 1, data: points.map((p) => p.entered), barMaxWidth: 10 },
      { name: t('seg.detail.exit'), type: 'bar', yAxisIndex: 1, data: points.map((p) => p.exited), barMaxWidth: 10 },
    ],
  };
}

/** Cursor-paged rows with "load more". */
function usePaged<R, C>(load: (cursor: C | null) => Promise<{ rows: R[]; next: C | null }>, key: string) {
  const [rows, setRows] = useState<R[]>([]);
  const [next, setNext] = useState<C | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const more = async (cursor: C | null, reset = false) => {
    setBusy(true);
    try {
      const r = await load(cursor);
      setRows((xs) => (reset ? r.rows : [...xs, ...r.rows]));
      setNext(r.next);
      setDone(r.next == null);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void more(null, true).catch(() => setDone(true));
  }, [key]);
  return { rows, busy, done, loadMore: () => more(next) };
}

/** One saved segment: size now and over time, entries and exits, members, CSV export. */
export default function SegmentDetailPage({ segmentId }: { segmentId: string }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const seg = useLoad((signal) => getSegment(segmentId, signal), [segmentId]);
  const hist = useLoad((signal) => segmentHistory(segmentId, signal), [segmentId]);
  const members = usePaged<MemberRow, string>(async (c) => {
    const r = await segmentMembers(segmentId, c, PAGE);
    return { rows: r.members, next: r.nextCursor };
  }, segmentId);
  const changes = usePaged<ChangeRow, number>(async (c) => {
    const r = await segmentChanges(segmentId, c, PAGE);
    return { rows: r.changes, next: r.nextCursor };
  }, segmentId);
  const option = useMemo(() => (hist.data?.length ? sizeOption(hist.data, t) : null), [hist.data, t]);

  const userLink = (profileId: string, userId?: string | null) => <a {...linkProps(`/users/${encodeURIComponent(profileId)}`)}>{userId ?? profileId}</a>;
  const memberCols: ColumnsType<MemberRow> = [
    { title: t('col.user'), dataIndex: 'userId', ellipsis: true, render: (v: string | null, r) => userLink(r.profileId, v) },
    { title: t('col.profileId'), dataIndex: 'profileId', ellipsis: true, responsive: ['lg'] },
    { title: t('seg.col.since'), dataIndex: 'since', width: 190, render: (v: string) => fmtTime(lang, v) },
  ];
  const changeCols: ColumnsType<ChangeRow> = [
    { title: t('col.user'), dataIndex: 'profileId', ellipsis: true, render: (v: string, r) => userLink(v, r.userId) },
    { title: t('seg.col.change'), dataIndex: 'change', width: 90, render: (v: string) => <Tag color={v === 'enter' ? 'green' : 'default'}>{v === 'enter' ? t('seg.detail.enter') : t('seg.detail.exit')}</Tag> },
    { title: t('col.time'), dataIndex: 'at', width: 190, render: (v: string) => fmtTime(lang, v) },
  ];
  const more = (p: { done: boolean; busy: boolean; loadMore: () => Promise<void> }) =>
    !p.done && (
      <Button size="small" loading={p.busy} onClick={() => void p.loadMore()} style={{ marginTop: 8 }}>
        {t('seg.detail.more')}
      </Button>
    );
  const s = seg.data;
  return (
    <div data-testid="page-segment">
      <Space style={{ marginBottom: 16 }} align="center" wrap>
        <Button icon={<ArrowLeftOutlined />} onClick={() => navigate('/segments')}>
          {t('common.back')}
        </Button>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="segment-title">
          {s?.name ?? segmentId}
        </Typography.Title>
      </Space>
      <Loadable loading={seg.loading && !s} error={seg.error} onRetry={seg.reload}>
        {s && (
          <Row gutter={[16, 16]}>
            <Col xs={24}>
              <Card>
                <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
                  <Space size={48} wrap>
                    <Statistic title={t('seg.detail.size')} value={s.size == null ? '—' : fmtInt(lang, s.size)} data-testid="segment-detail-size" />
                    <div>
                      {s.description && <Typography.Paragraph style={{ marginBottom: 4 }}>{s.description}</Typography.Paragraph>}
                      <Typography.Text type="secondary">{s.refreshedAt ? t('seg.detail.refreshedAt', { time: fmtTime(lang, s.refreshedAt) }) : t('seg.notRefreshed')}</Typography.Text>
                      {s.lastError && <Typography.Paragraph type="danger">{s.lastError}</Typography.Paragraph>}
                    </div>
                  </Space>
                  <Space wrap>
                    <Button icon={<EditOutlined />} onClick={() => navigate(`/segments/${encodeURIComponent(s.id)}/edit`)} data-testid="segment-edit">
                      {t('seg.detail.edit')}
                    </Button>
                    <Button
                      icon={<DownloadOutlined />}
                      data-testid="segment-export"
                      onClick={() => downloadSegmentCsv(s.id, s.name, getToken()).catch((e: Error) => message.error(e.message))}
                    >
                      {t('seg.detail.export')}
                    </Button>
                    <Popconfirm
                      title={t('seg.detail.deleteConfirm')}
                      onConfirm={() =>
                        deleteSegment(s.id).then(
                          () => navigate('/segments'),
                          (e: Error) => message.error(e.message),
                        )
                      }
                    >
                      <Button danger icon={<DeleteOutlined />} data-testid="segment-delete">
                        {t('seg.detail.delete')}
                      </Button>
                    </Popconfirm>
                  </Space>
                </Space>
              </Card>
            </Col>
            <Col xs={24}>
              <Card title={t('seg.detail.sizeChart')}>
                {option ? <Chart option={option} height={260} testId="chart-segment-size" /> : <Empty description={t('seg.detail.noHistory')} />}
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card title={t('seg.detail.members')}>
                <Table<MemberRow> data-testid="table-members" size="small" rowKey="profileId" columns={memberCols} dataSource={members.rows} pagination={false} locale={{ emptyText: t('common.empty') }} />
                {more(members)}
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card title={t('seg.detail.changes')}>
                <Table<ChangeRow> data-testid="table-changes" size="small" rowKey="id" columns={changeCols} dataSource={changes.rows} pagination={false} locale={{ emptyText: t('common.empty') }} />
                {more(changes)}
              </Card>
            </Col>
            <Col xs={24}>
              <Card title={t('seg.detail.rule')} size="small">
                <pre className="timeline-props" data-testid="segment-rule">{JSON.stringify(s.rule, null, 2)}</pre>
              </Card>
            </Col>
          </Row>
        )}
      </Loadable>
    </div>
  );
}
