import { useEffect, useMemo, useState } from 'react';
import { Card, Empty, Input, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { searchUsers, type UserHit } from '../api';
import { Loadable } from '../components/Section';
import { useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { linkProps, navigate } from '../router';

export default function UsersPage({ q }: { q: string }) {
  const { t } = useI18n();
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);

  const query = q.trim();
  const { data, error, loading, reload } = useLoad(
    (signal) => (query ? searchUsers(query, signal) : Promise.resolve({ users: [] as UserHit[] })),
    [query],
  );

  // Exact matches (user ID or any identity equal to the query) first; the server orders by its own ranking.
  const users = useMemo(() => {
    const exact = (u: UserHit) => u.userId === query || (u.identities ?? []).some((i) => i.value === query);
    const list = data?.users ?? [];
    return [...list.filter(exact), ...list.filter((u) => !exact(u))];
  }, [data, query]);

  const onSearch = (value: string) => {
    const v = value.trim();
    navigate(v ? `/users?q=${encodeURIComponent(v)}` : '/users', { replace: true });
    if (v === query) reload();
  };

  const columns: ColumnsType<UserHit> = [
    {
      title: t('col.userId'),
      dataIndex: 'userId',
      render: (v: string | null, r) => (
        <a {...linkProps(`/users/${encodeURIComponent(r.profileId)}`)} data-testid="user-result-link">
          {v ?? r.profileId}
        </a>
      ),
    },
    { title: t('col.displayName'), dataIndex: 'displayName', render: (v: string | null) => v ?? '—' },
    {
      title: t('col.identities'),
      dataIndex: 'identities',
      render: (ids: UserHit['identities']) => (
        <Space size={[4, 4]} wrap>
          {(ids ?? []).map((i) => (
            <Tag key={`${i.kind}:${i.value}`}>
              {i.kind}: {i.value}
            </Tag>
          ))}
        </Space>
      ),
    },
    { title: t('col.profileId'), dataIndex: 'profileId', responsive: ['lg'], render: (v: string) => <Typography.Text type="secondary" copyable>{v}</Typography.Text> },
  ];

  return (
    <div data-testid="page-users">
      <Typography.Title level={3}>{t('users.title')}</Typography.Title>
      <Card>
        <Input.Search
          data-testid="user-search-input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onSearch={onSearch}
          placeholder={t('users.searchPlaceholder')}
          enterButton={t('users.search')}
          allowClear
          size="large"
          autoFocus
        />
        <div style={{ marginTop: 16 }}>
          {!query ? (
            <Empty description={t('users.hint')} />
          ) : (
            <Loadable loading={loading} error={error} onRetry={reload}>
              <Table<UserHit>
                data-testid="table-user-results"
                rowKey="profileId"
                size="small"
                columns={columns}
                dataSource={users}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                locale={{ emptyText: t('users.noResults') }}
                onRow={(r) => ({ onClick: () => navigate(`/users/${encodeURIComponent(r.profileId)}`), style: { cursor: 'pointer' } })}
              />
            </Loadable>
          )}
        </div>
      </Card>
    </div>
  );
}
