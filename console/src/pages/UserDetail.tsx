import { useMemo, useState } from 'react';
import { Button, Card, Col, Descriptions, Empty, Row, Space, Table, Tag, Timeline, Tooltip, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsCoreOption } from 'echarts/core';
import { getUser, type UserProfile } from '../api';
import { Chart } from '../components/Chart';
import { Loadable } from '../components/Section';
import { fmtInt, fmtMoney, fmtTime, fmtValue } from '../format';
import { useLoad } from '../hooks';
import { useI18n, type MessageKey, type T } from '../i18n';
import { linkProps, navigate } from '../router';
import { User360Panels } from './user360/User360Panels';

type Order = UserProfile['orders'][number];
type Trait = UserProfile['traits'][number];
type Neighbour = UserProfile['neighbours'][number];
type Share = UserProfile['shares'][number];
type Merge = UserProfile['merges'][number];
type Identity = UserProfile['identities'][number];

const TIMELINE_PAGE = 30;
const REL_COLORS: Record<string, string> = { follow: '#1677ff', friend: '#52c41a', invite: '#fa8c16' };

const relLabel = (t: T, type: string) => (['follow', 'friend', 'invite'].includes(type) ? t(`rel.${type}` as MessageKey) : type);

function itemsCount(items: unknown): string {
  if (typeof items === 'number') return String(items);
  if (Array.isArray(items)) return String(items.reduce<number>((n, it) => n + (Number((it as { quantity?: unknown })?.quantity) || 1), 0));
  return fmtValue(items);
}

function graphOption(p: UserProfile, t: T, selfLabel: string): EChartsCoreOption {
  const types = [...new Set(p.neighbours.map((n) => n.type))];
  const nodes = new Map<string, { id: string; name: string; category: number; symbolSize: number }>();
  nodes.set(p.profileId, { id: p.profileId, name: selfLabel, category: types.length, symbolSize: 34 });
  const links = p.neighbours.map((n) => {
    if (!nodes.has(n.profileId)) nodes.set(n.profileId, { id: n.profileId, name: n.userId ?? n.profileId.slice(0, 10), category: types.indexOf(n.type), symbolSize: 16 });
    const [source, target] = n.direction === 'out' ? [p.profileId, n.profileId] : [n.profileId, p.profileId];
    return { source, target, lineStyle: { color: REL_COLORS[n.type] ?? '#999' } };
  });
  return {
    tooltip: { formatter: (x: { dataType?: string; name?: string }) => (x.dataType === 'node' ? x.name ?? '' : '') },
    legend: { data: types.map((ty) => relLabel(t, ty)), bottom: 0 },
    series: [
      {
        type: 'graph',
        layout: 'force',
        roam: true,
        draggable: true,
        label: { show: true, position: 'right', fontSize: 11 },
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 6,
        force: { repulsion: 160, edgeLength: 80 },
        categories: [...types.map((ty) => ({ name: relLabel(t, ty), itemStyle: { color: REL_COLORS[ty] } })), { name: selfLabel, itemStyle: { color: '#fa541c' } }],
        data: [...nodes.values()],
        links,
      },
    ],
  };
}

export default function UserDetailPage({ profileId }: { profileId: string }) {
  const { t, lang } = useI18n();
  const { data, error, loading, reload } = useLoad((signal) => getUser(profileId, signal), [profileId]);
  const [shown, setShown] = useState(TIMELINE_PAGE);

  const userId = data?.identities.find((i) => i.kind === 'user_id' || i.kind === 'userId')?.value;
  const graph = useMemo(() => (data ? graphOption(data, t, userId ?? t('user.self')) : null), [data, t, userId]);

  const identityCols: ColumnsType<Identity> = [
    { title: t('col.kind'), dataIndex: 'kind', width: 140, render: (v: string) => <Tag color="geekblue">{v}</Tag> },
    { title: t('col.value'), dataIndex: 'value', render: (v: string) => <Typography.Text copyable>{v}</Typography.Text> },
    { title: t('col.firstSeen'), dataIndex: 'firstSeen', width: 180, render: (v: string) => fmtTime(lang, v) },
  ];
  const traitCols: ColumnsType<Trait> = [
    {
      title: t('col.key'),
      dataIndex: 'key',
      width: 160,
      render: (k: string, r) => (
        <Tooltip title={t('u360.identifyTraitDef', { key: k, time: fmtTime(lang, r.updatedAt) })}>
          <span style={{ cursor: 'help' }}>{k}</span>
        </Tooltip>
      ),
    },
    { title: t('col.value'), dataIndex: 'value', ellipsis: true, render: (v: unknown) => fmtValue(v) },
    { title: t('col.updatedAt'), dataIndex: 'updatedAt', width: 180, render: (v: string) => fmtTime(lang, v) },
  ];
  const orderCols: ColumnsType<Order> = [
    { title: t('col.orderId'), dataIndex: 'orderId', ellipsis: true },
    { title: t('col.status'), dataIndex: 'status', width: 110, render: (v: string) => <Tag color={v === 'completed' ? 'green' : v === 'refunded' ? 'orange' : v === 'cancelled' ? 'red' : 'default'}>{v}</Tag> },
    { title: t('col.total'), dataIndex: 'total', align: 'right', width: 120, render: (v: number, r) => fmtMoney(lang, v, r.currency) },
    { title: t('col.items'), dataIndex: 'items', align: 'right', width: 80, render: itemsCount },
    { title: t('col.shareId'), dataIndex: 'shareId', ellipsis: true, responsive: ['lg'], render: (v: string | null) => v ?? '—' },
    { title: t('col.time'), dataIndex: 'timestamp', width: 180, render: (v: string) => fmtTime(lang, v) },
  ];
  const neighbourCols: ColumnsType<Neighbour> = [
    { title: t('col.user'), dataIndex: 'userId', ellipsis: true, render: (v: string | null, r) => <a {...linkProps(`/users/${encodeURIComponent(r.profileId)}`)}>{v ?? r.profileId}</a> },
    { title: t('col.relation'), dataIndex: 'type', width: 90, render: (v: string) => <Tag color={REL_COLORS[v]}>{relLabel(t, v)}</Tag> },
    { title: t('col.direction'), dataIndex: 'direction', width: 90, render: (v: string) => (v === 'out' ? t('user.out') : t('user.in')) },
    { title: t('col.since'), dataIndex: 'since', width: 180, render: (v: string) => fmtTime(lang, v) },
  ];
  const shareCols: ColumnsType<Share> = [
    { title: t('col.shareId'), dataIndex: 'shareId', ellipsis: true },
    { title: t('col.parentShareId'), dataIndex: 'parentShareId', ellipsis: true, render: (v: string | null) => v ?? '—' },
    { title: t('col.productId'), dataIndex: 'productId', ellipsis: true, render: (v: string | null) => v ?? '—' },
    { title: t('col.clicks'), dataIndex: 'clicks', align: 'right', width: 70, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.orders'), dataIndex: 'orders', align: 'right', width: 70, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.gmv'), dataIndex: 'gmv', align: 'right', width: 110, render: (v: number) => fmtMoney(lang, v) },
    { title: t('col.time'), dataIndex: 'timestamp', width: 180, render: (v: string) => fmtTime(lang, v) },
  ];
  const mergeCols: ColumnsType<Merge> = [
    { title: t('col.from'), dataIndex: 'fromProfileId', ellipsis: true },
    { title: t('col.into'), dataIndex: 'intoProfileId', ellipsis: true },
    { title: t('col.cause'), dataIndex: 'cause', ellipsis: true, render: (v: unknown) => fmtValue(v) },
    { title: t('col.at'), dataIndex: 'at', width: 180, render: (v: string) => fmtTime(lang, v) },
    { title: t('col.undoneAt'), dataIndex: 'undoneAt', width: 180, render: (v: string | null) => (v ? fmtTime(lang, v) : t('user.notUndone')) },
  ];

  const small = { size: 'small' as const, pagination: { pageSize: 10, hideOnSinglePage: true }, locale: { emptyText: t('common.empty') } };

  return (
    <div data-testid="page-user">
      <Space style={{ marginBottom: 16 }} align="center">
        <Button icon={<ArrowLeftOutlined />} onClick={() => (window.history.length > 1 ? window.history.back() : navigate('/users'))}>
          {t('common.back')}
        </Button>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="user-title">
          {t('user.title')}: {userId ?? t('user.anonymousProfile')}
        </Typography.Title>
      </Space>
      <Loadable loading={loading && !data} error={error} onRetry={reload}>
        {data && (
          <Row gutter={[16, 16]}>
            <Col xs={24}>
              <Card>
                <Descriptions size="small" column={{ xs: 1, md: 2 }}>
                  <Descriptions.Item label={t('col.profileId')}>
                    <Typography.Text copyable>{data.profileId}</Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('user.summary')}>
                    {t('user.stats', { orders: data.orders.length, shares: data.shares.length, neighbours: data.neighbours.length })}
                  </Descriptions.Item>
                </Descriptions>
              </Card>
            </Col>
            <Col xs={24}>
              <User360Panels profile={data} />
            </Col>
            <Col xs={24} xl={12}>
              <Card title={t('user.identities')}>
                <Table<Identity> data-testid="table-identities" rowKey={(r) => `${r.kind}:${r.value}`} columns={identityCols} dataSource={data.identities} {...small} />
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card title={t('user.traits')}>
                <Table<Trait> data-testid="table-traits" rowKey="key" columns={traitCols} dataSource={data.traits} {...small} />
              </Card>
            </Col>
            <Col xs={24}>
              <Card title={t('user.orders')}>
                <Table<Order> data-testid="table-orders" rowKey="orderId" columns={orderCols} dataSource={data.orders} {...small} />
              </Card>
            </Col>
            <Col xs={24} xl={10}>
              <Card title={t('user.graph')}>
                {data.neighbours.length ? (
                  <Chart
                    option={graph!}
                    height={340}
                    testId="chart-graph"
                    onClick={(p) => {
                      const id = (p.data as { id?: string } | undefined)?.id;
                      if (p.dataType === 'node' && id && id !== data.profileId) navigate(`/users/${encodeURIComponent(id)}`);
                    }}
                  />
                ) : (
                  <Empty description={t('common.empty')} data-testid="chart-graph-empty" />
                )}
              </Card>
            </Col>
            <Col xs={24} xl={14}>
              <Card title={t('user.neighbours')}>
                <Table<Neighbour> data-testid="table-neighbours" rowKey={(r) => `${r.profileId}:${r.type}:${r.direction}`} columns={neighbourCols} dataSource={data.neighbours} {...small} />
              </Card>
            </Col>
            <Col xs={24}>
              <Card title={t('user.shares')}>
                <Table<Share> data-testid="table-shares" rowKey="shareId" columns={shareCols} dataSource={data.shares} {...small} />
              </Card>
            </Col>
            <Col xs={24}>
              <Card title={t('user.merges')}>
                <Table<Merge> data-testid="table-merges" rowKey={(r) => String(r.id)} columns={mergeCols} dataSource={data.merges} {...small} />
              </Card>
            </Col>
            <Col xs={24}>
              <Card title={t('user.timeline')} data-testid="user-timeline">
                {data.timeline.length ? (
                  <>
                    <Timeline
                      items={data.timeline.slice(0, shown).map((e) => ({
                        key: e.messageId,
                        color: e.type === 'track' ? '#1677ff' : e.type === 'identify' ? '#52c41a' : '#bfbfbf',
                        content: (
                          <div data-testid="timeline-item">
                            <Space size={8} wrap>
                              <Typography.Text type="secondary">{fmtTime(lang, e.timestamp)}</Typography.Text>
                              <Tag>{e.type}</Tag>
                              <Typography.Text strong>{e.event ?? ''}</Typography.Text>
                            </Space>
                            {e.properties && Object.keys(e.properties).length > 0 && (
                              <div className="timeline-props">{JSON.stringify(e.properties)}</div>
                            )}
                          </div>
                        ),
                      }))}
                    />
                    {shown < data.timeline.length && <Button onClick={() => setShown((n) => n + TIMELINE_PAGE)}>{t('common.showMore')}</Button>}
                  </>
                ) : (
                  <Empty description={t('common.empty')} />
                )}
              </Card>
            </Col>
          </Row>
        )}
      </Loadable>
    </div>
  );
}
