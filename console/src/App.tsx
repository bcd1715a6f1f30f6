import { useEffect, useState } from 'react';
import { App as AntApp, Button, ConfigProvider, Layout, Menu, Result, Segmented, Space, Typography } from 'antd';
import { BulbOutlined, DashboardOutlined, FundOutlined, PartitionOutlined, LogoutOutlined, TeamOutlined, ThunderboltOutlined, UserOutlined } from '@ant-design/icons';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { clearSession, getSessionUser, getToken, setUnauthorizedHandler } from './api';
import { LANGS, useI18n, type Lang } from './i18n';
import { linkProps, matchRoute, navigate, usePath, type Route } from './router';
import LoginPage from './pages/Login';
import OverviewPage from './pages/Overview';
import EventsPage from './pages/Events';
import UsersPage from './pages/Users';
import UserDetailPage from './pages/UserDetail';
import RecommendPage from './pages/Recommend';
import ProfilesPage from './pages/profiles/ProfilesPage';
import SegmentListPage from './pages/segments/SegmentListPage';
import SegmentBuilderPage from './pages/segments/SegmentBuilderPage';
import SegmentDetailPage from './pages/segments/SegmentDetailPage';
import AutoSegmentsPage from './pages/segments/AutoSegmentsPage';

const { Header, Sider, Content } = Layout;

function menuKey(route: Route): string {
  if (route.name === 'users' || route.name === 'user') return '/users';
  if (route.name === 'events') return '/events';
  if (route.name === 'profiles') return '/profiles';
  if (route.name === 'segments' || route.name === 'segment' || route.name === 'segmentNew' || route.name === 'segmentsAuto') return '/segments';
  if (route.name === 'recommend') return '/recommend';
  return '/';
}

function Page({ route }: { route: Route }) {
  const { t } = useI18n();
  switch (route.name) {
    case 'overview':
      return <OverviewPage />;
    case 'events':
      return <EventsPage />;
    case 'users':
      return <UsersPage q={route.q} />;
    case 'user':
      return <UserDetailPage key={route.profileId} profileId={route.profileId} />;
    case 'profiles':
      return <ProfilesPage />;
    case 'segments':
      return <SegmentListPage />;
    case 'segmentNew':
      return <SegmentBuilderPage key="new" />;
    case 'segmentsAuto':
      return <AutoSegmentsPage />;
    case 'segment':
      return route.edit ? <SegmentBuilderPage key={`edit:${route.segmentId}`} segmentId={route.segmentId} /> : <SegmentDetailPage key={route.segmentId} segmentId={route.segmentId} />;
    case 'recommend':
      return <RecommendPage />;
    default:
      return (
        <Result
          status="404"
          title="404"
          subTitle={t('common.notFoundPage')}
          extra={<Button type="primary" onClick={() => navigate('/')}>{t('common.home')}</Button>}
        />
      );
  }
}

function Shell({ route }: { route: Route }) {
  const { t, lang, setLang } = useI18n();
  const [collapsed, setCollapsed] = useState(false);
  const user = getSessionUser();
  const logout = () => {
    clearSession();
    navigate('/login', { replace: true });
  };
  const items = [
    { key: '/', icon: <DashboardOutlined />, label: <a {...linkProps('/')} data-testid="nav-overview">{t('menu.overview')}</a> },
    { key: '/events', icon: <ThunderboltOutlined />, label: <a {...linkProps('/events')} data-testid="nav-events">{t('menu.events')}</a> },
    { key: '/users', icon: <TeamOutlined />, label: <a {...linkProps('/users')} data-testid="nav-users">{t('menu.users')}</a> },
    { key: '/profiles', icon: <FundOutlined />, label: <a {...linkProps('/profiles')} data-testid="nav-profiles">{t('menu.profiles')}</a> },
    { key: '/segments', icon: <PartitionOutlined />, label: <a {...linkProps('/segments')} data-testid="nav-segments">{t('menu.segments')}</a> },
    { key: '/recommend', icon: <BulbOutlined />, label: <a {...linkProps('/recommend')} data-testid="nav-recommend">{t('menu.recommend')}</a> },
  ];
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Sider breakpoint="lg" collapsible collapsed={collapsed} onCollapse={setCollapsed} theme="dark" data-testid="side-menu" className="app-sider">
        <div className="brand" onClick={() => navigate('/')}>
          <img src="/favicon.svg" alt="" width={28} height={28} />
          {!collapsed && <span>{t('app.name')}</span>}
        </div>
        <Menu theme="dark" mode="inline" selectedKeys={[menuKey(route)]} items={items} onClick={({ key }) => navigate(key)} />
      </Sider>
      <Layout>
        <Header className="app-header">
          <Typography.Text type="secondary" className="app-subtitle">
            {t('app.subtitle')}
          </Typography.Text>
          <Space size="middle">
            <Segmented<Lang>
              data-testid="lang-switch"
              value={lang}
              onChange={setLang}
              options={LANGS.map((l) => ({ label: <span data-testid={`lang-${l}`}>{t(`lang.${l}`)}</span>, value: l }))}
            />
            {user && (
              <Space size={4}>
                <UserOutlined />
                <Typography.Text data-testid="current-user">{user.email}</Typography.Text>
              </Space>
            )}
            <Button icon={<LogoutOutlined />} onClick={logout} data-testid="logout">
              {t('header.logout')}
            </Button>
          </Space>
        </Header>
        <Content className="app-content">
          <Page route={route} />
        </Content>
      </Layout>
    </Layout>
  );
}

export default function App() {
  const { lang, t } = useI18n();
  const path = usePath();
  const route = matchRoute(path);
  const [notice, setNotice] = useState<string | null>(null);
  const tRef = t;

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setNotice(tRef('common.sessionExpired'));
      navigate('/login', { replace: true });
    });
  }, [tRef]);

  const authed = Boolean(getToken());
  useEffect(() => {
    if (!authed && route.name !== 'login') navigate('/login', { replace: true });
    if (authed && route.name === 'login') navigate('/', { replace: true });
  }, [authed, route.name]);

  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#fa541c', borderRadius: 6 } }}>
      <AntApp>
        {route.name === 'login' || !authed ? <LoginPage notice={notice} /> : <Shell route={route} />}
      </AntApp>
    </ConfigProvider>
  );
}
