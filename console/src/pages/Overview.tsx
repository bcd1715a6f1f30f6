import { useMemo } from 'react';
import { Card, Col, Row, Statistic, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsCoreOption } from 'echarts/core';
import { getOverview, type Overview } from '../api';
import { Chart } from '../components/Chart';
import { Loadable } from '../components/Section';
import { fmtInt, fmtMoney, shortDay } from '../format';
import { useLoad } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { linkProps } from '../router';

const DAYS = 30;
type Product = Overview['topProducts'][number];
type Sharer = Overview['topSharers'][number];

const lineOption = (days: string[], name: string, values: number[], color: string, area = false): EChartsCoreOption => ({
  color: [color],
  grid: { left: 48, right: 16, top: 24, bottom: 32 },
  tooltip: { trigger: 'axis' },
  xAxis: { type: 'category', data: days.map(shortDay), boundaryGap: false },
  yAxis: { type: 'value' },
  series: [{ name, type: 'line', smooth: true, showSymbol: false, data: values, areaStyle: area ? { opacity: 0.15 } : undefined }],
});

export default function OverviewPage() {
  const { t, lang } = useI18n();
  const { data, error, loading, reload } = useLoad((signal) => getOverview(DAYS, signal), []);

  const charts = useMemo(() => {
    if (!data) return null;
    const ev = data.eventsPerDay ?? [];
    const au = data.activeUsersPerDay ?? [];
    const od = data.ordersPerDay ?? [];
    const orders: EChartsCoreOption = {
      color: ['#1677ff', '#fa541c'],
      grid: { left: 48, right: 72, top: 40, bottom: 32 },
      legend: { top: 0 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => String(v),
      },
      xAxis: { type: 'category', data: od.map((d) => shortDay(d.day)) },
      yAxis: [
        { type: 'value', name: t('overview.seriesOrders') },
        { type: 'value', name: t('overview.seriesGmv'), axisLabel: { formatter: (v: number) => `¥${fmtInt(lang, v)}` }, splitLine: { show: false } },
      ],
      series: [
        { name: t('overview.seriesOrders'), type: 'bar', data: od.map((d) => d.orders), barMaxWidth: 18 },
        {
          name: t('overview.seriesGmv'),
          type: 'line',
          yAxisIndex: 1,
          smooth: true,
          showSymbol: false,
          data: od.map((d) => Math.round(d.gmv * 100) / 100),
          tooltip: { valueFormatter: (v: unknown) => fmtMoney(lang, Number(v)) },
        },
      ],
    };
    return {
      events: lineOption(ev.map((d) => d.day), t('overview.seriesEvents'), ev.map((d) => d.events), '#722ed1', true),
      dau: lineOption(au.map((d) => d.day), t('overview.seriesUsers'), au.map((d) => d.users), '#13c2c2', true),
      orders,
    };
  }, [data, t, lang]);

  const stats: { key: keyof Overview['totals']; label: MessageKey; money?: boolean }[] = [
    { key: 'events', label: 'overview.events' },
    { key: 'users', label: 'overview.users' },
    { key: 'orders', label: 'overview.orders' },
    { key: 'gmv', label: 'overview.gmv', money: true },
  ];

  const productCols: ColumnsType<Product> = [
    { title: t('col.product'), dataIndex: 'name', render: (name: string, r) => name || r.productId, ellipsis: true },
    { title: t('col.category'), dataIndex: 'category', width: 120 },
    { title: t('col.orders'), dataIndex: 'orders', align: 'right', width: 80, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.units'), dataIndex: 'units', align: 'right', width: 80, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.gmv'), dataIndex: 'gmv', align: 'right', width: 130, render: (v: number) => fmtMoney(lang, v) },
  ];
  const sharerCols: ColumnsType<Sharer> = [
    {
      title: t('col.userId'),
      dataIndex: 'userId',
      ellipsis: true,
      render: (id: string) => <a {...linkProps(`/users?q=${encodeURIComponent(id)}`)} data-testid="sharer-link">{id}</a>,
    },
    { title: t('col.shares'), dataIndex: 'shares', align: 'right', width: 80, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.clicks'), dataIndex: 'clicks', align: 'right', width: 80, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.orders'), dataIndex: 'orders', align: 'right', width: 80, render: (v: number) => fmtInt(lang, v) },
    { title: t('col.gmv'), dataIndex: 'gmv', align: 'right', width: 130, render: (v: number) => fmtMoney(lang, v) },
  ];

  return (
    <div data-testid="page-overview">
      <Typography.Title level={3}>
        {t('overview.title')} <Typography.Text type="secondary" style={{ fontSize: 14, fontWeight: 400 }}>{t('overview.range', { days: DAYS })}</Typography.Text>
      </Typography.Title>
      <Loadable loading={loading && !data} error={error} onRetry={reload}>
        {data && charts && (
          <>
            <Row gutter={[16, 16]}>
              {stats.map((s) => (
                <Col xs={24} sm={12} xl={6} key={s.key}>
                  <Card data-testid={`stat-${s.key}`}>
                    <Statistic
                      title={t(s.label)}
                      value={s.money ? fmtMoney(lang, data.totals[s.key]) : fmtInt(lang, data.totals[s.key])}
                    />
                  </Card>
                </Col>
              ))}
            </Row>
            <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
              <Col xs={24} xl={12}>
                <Card title={t('overview.eventsPerDay')}>
                  <Chart option={charts.events} testId="chart-events" />
                </Card>
              </Col>
              <Col xs={24} xl={12}>
                <Card title={t('overview.activeUsersPerDay')}>
                  <Chart option={charts.dau} testId="chart-dau" />
                </Card>
              </Col>
              <Col xs={24}>
                <Card title={t('overview.ordersPerDay')}>
                  <Chart option={charts.orders} testId="chart-orders" height={320} />
                </Card>
              </Col>
              <Col xs={24} xl={12}>
                <Card title={t('overview.topProducts')}>
                  <Table<Product>
                    data-testid="table-top-products"
                    size="small"
                    rowKey="productId"
                    columns={productCols}
                    dataSource={data.topProducts ?? []}
                    pagination={false}
                    locale={{ emptyText: t('common.empty') }}
                  />
                </Card>
              </Col>
              <Col xs={24} xl={12}>
                <Card title={t('overview.topSharers')}>
                  <Table<Sharer>
                    data-testid="table-top-sharers"
                    size="small"
                    rowKey="userId"
                    columns={sharerCols}
                    dataSource={data.topSharers ?? []}
                    pagination={false}
                    locale={{ emptyText: t('common.empty') }}
                  />
                </Card>
              </Col>
            </Row>
          </>
        )}
      </Loadable>
    </div>
  );
}
