import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

export type Lang = 'zh-CN' | 'en';
export const LANGS: Lang[] = ['zh-CN', 'en'];
const STORAGE_KEY = 'liebian.lang';

const zh = {
  'app.name': '裂变',
  'app.subtitle': '社交电商精准营销引擎',
  'menu.overview': '概览',
  'menu.events': '实时事件',
  'menu.users': '用户',
  'header.language': '语言',
  'header.logout': '退出登录',
  'lang.zh-CN': '中文',
  'lang.en': 'English',

  'login.title': '登录裂变控制台',
  'login.email': '邮箱',
  'login.password': '密码',
  'login.submit': '登录',
  'login.emailRequired': '请输入邮箱',
  'login.emailInvalid': '邮箱格式不正确',
  'login.passwordRequired': '请输入密码',
  'login.failed': '登录失败',

  'common.loading': '加载中…',
  'common.error': '出错了',
  'common.retry': '重试',
  'common.empty': '暂无数据',
  'common.back': '返回',
  'common.refresh': '刷新',
  'common.yes': '是',
  'common.no': '否',
  'common.sessionExpired': '登录已过期，请重新登录',
  'common.networkError': '网络错误，无法连接服务器',
  'common.showMore': '显示更多',
  'common.notFoundPage': '页面不存在',
  'common.home': '回到概览',

  'overview.title': '概览',
  'overview.range': '最近 {days} 天',
  'overview.events': '事件数',
  'overview.users': '用户数',
  'overview.orders': '订单数',
  'overview.gmv': '成交额 (GMV)',
  'overview.eventsPerDay': '每日事件数',
  'overview.activeUsersPerDay': '日活跃用户 (DAU)',
  'overview.ordersPerDay': '每日订单与成交额',
  'overview.topProducts': '热销商品',
  'overview.topSharers': '分享达人',
  'overview.seriesEvents': '事件',
  'overview.seriesUsers': '活跃用户',
  'overview.seriesOrders': '订单',
  'overview.seriesGmv': '成交额',

  'col.product': '商品',
  'col.productId': '商品 ID',
  'col.category': '类目',
  'col.orders': '订单',
  'col.units': '件数',
  'col.gmv': '成交额',
  'col.user': '用户',
  'col.userId': '用户 ID',
  'col.shares': '分享次数',
  'col.clicks': '点击',
  'col.type': '类型',
  'col.event': '事件',
  'col.time': '时间',
  'col.receivedAt': '接收时间',
  'col.seq': '序号',
  'col.kind': '类型',
  'col.value': '值',
  'col.firstSeen': '首次出现',
  'col.key': '属性',
  'col.updatedAt': '更新时间',
  'col.orderId': '订单号',
  'col.status': '状态',
  'col.total': '金额',
  'col.items': '商品数',
  'col.shareId': '分享 ID',
  'col.parentShareId': '上级分享',
  'col.relation': '关系',
  'col.direction': '方向',
  'col.since': '开始时间',
  'col.from': '来源档案',
  'col.into': '合并到',
  'col.cause': '原因',
  'col.at': '时间',
  'col.undoneAt': '撤销时间',
  'col.displayName': '名称',
  'col.identities': '身份标识',
  'col.profileId': '档案 ID',

  'events.title': '实时事件',
  'events.pause': '暂停',
  'events.resume': '继续',
  'events.live': '实时更新中（每 2 秒）',
  'events.paused': '已暂停',
  'events.count': '共 {count} 条',
  'events.anonymous': '匿名 {id}',
  'events.properties': '事件属性',
  'events.lastUpdated': '最后更新 {time}',

  'users.title': '用户查询',
  'users.searchPlaceholder': '输入用户 ID、邮箱、手机号或微信 OpenID',
  'users.search': '搜索',
  'users.noResults': '没有找到匹配的用户',
  'users.hint': '输入关键字搜索用户档案',
  'users.open': '查看',

  'user.title': '用户档案',
  'user.identities': '身份标识',
  'user.traits': '用户属性',
  'user.orders': '订单',
  'user.neighbours': '社交关系',
  'user.graph': '社交网络',
  'user.shares': '分享',
  'user.merges': '档案合并记录',
  'user.timeline': '行为时间线',
  'user.notFound': '未找到该用户',
  'user.self': '本人',
  'user.out': '发出',
  'user.in': '收到',
  'user.summary': '概况',
  'user.stats': '订单 {orders} · 分享 {shares} · 社交关系 {neighbours}',
  'user.notUndone': '—',
  'user.anonymousProfile': '匿名访客',
  'rel.follow': '关注',
  'rel.friend': '好友',
  'rel.invite': '邀请',
};

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  'app.name': 'Liebian',
  'app.subtitle': 'Social e-commerce precision marketing',
  'menu.overview': 'Overview',
  'menu.events': 'Live events',
  'menu.users': 'Users',
  'header.language': 'Language',
  'header.logout': 'Log out',
  'lang.zh-CN': '中文',
  'lang.en': 'English',

  'login.title': 'Sign in to Liebian',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.emailRequired': 'Please enter your email',
  'login.emailInvalid': 'Not a valid email address',
  'login.passwordRequired': 'Please enter your password',
  'login.failed': 'Sign-in failed',

  'common.loading': 'Loading…',
  'common.error': 'Something went wrong',
  'common.retry': 'Retry',
  'common.empty': 'No data',
  'common.back': 'Back',
  'common.refresh': 'Refresh',
  'common.yes': 'Yes',
  'common.no': 'No',
  'common.sessionExpired': 'Your session has expired, please sign in again',
  'common.networkError': 'Network error: cannot reach the server',
  'common.showMore': 'Show more',
  'common.notFoundPage': 'Page not found',
  'common.home': 'Back to overview',

  'overview.title': 'Overview',
  'overview.range': 'Last {days} days',
  'overview.events': 'Events',
  'overview.users': 'Users',
  'overview.orders': 'Orders',
  'overview.gmv': 'GMV',
  'overview.eventsPerDay': 'Events per day',
  'overview.activeUsersPerDay': 'Daily active users',
  'overview.ordersPerDay': 'Orders & GMV per day',
  'overview.topProducts': 'Top products',
  'overview.topSharers': 'Top sharers',
  'overview.seriesEvents': 'Events',
  'overview.seriesUsers': 'Active users',
  'overview.seriesOrders': 'Orders',
  'overview.seriesGmv': 'GMV',

  'col.product': 'Product',
  'col.productId': 'Product ID',
  'col.category': 'Category',
  'col.orders': 'Orders',
  'col.units': 'Units',
  'col.gmv': 'GMV',
  'col.user': 'User',
  'col.userId': 'User ID',
  'col.shares': 'Shares',
  'col.clicks': 'Clicks',
  'col.type': 'Type',
  'col.event': 'Event',
  'col.time': 'Time',
  'col.receivedAt': 'Received',
  'col.seq': 'Seq',
  'col.kind': 'Kind',
  'col.value': 'Value',
  'col.firstSeen': 'First seen',
  'col.key': 'Trait',
  'col.updatedAt': 'Updated',
  'col.orderId': 'Order ID',
  'col.status': 'Status',
  'col.total': 'Total',
  'col.items': 'Items',
  'col.shareId': 'Share ID',
  'col.parentShareId': 'Parent share',
  'col.relation': 'Relation',
  'col.direction': 'Direction',
  'col.since': 'Since',
  'col.from': 'From profile',
  'col.into': 'Into profile',
  'col.cause': 'Cause',
  'col.at': 'At',
  'col.undoneAt': 'Undone at',
  'col.displayName': 'Name',
  'col.identities': 'Identities',
  'col.profileId': 'Profile ID',

  'events.title': 'Live events',
  'events.pause': 'Pause',
  'events.resume': 'Resume',
  'events.live': 'Live (every 2 s)',
  'events.paused': 'Paused',
  'events.count': '{count} events',
  'events.anonymous': 'anonymous {id}',
  'events.properties': 'Properties',
  'events.lastUpdated': 'Last updated {time}',

  'users.title': 'User lookup',
  'users.searchPlaceholder': 'User ID, email, phone or WeChat OpenID',
  'users.search': 'Search',
  'users.noResults': 'No matching users',
  'users.hint': 'Type something to search user profiles',
  'users.open': 'Open',

  'user.title': 'User profile',
  'user.identities': 'Identities',
  'user.traits': 'Traits',
  'user.orders': 'Orders',
  'user.neighbours': 'Social connections',
  'user.graph': 'Social neighbourhood',
  'user.shares': 'Shares',
  'user.merges': 'Merge history',
  'user.timeline': 'Timeline',
  'user.notFound': 'User not found',
  'user.self': 'this user',
  'user.out': 'outgoing',
  'user.in': 'incoming',
  'user.summary': 'Summary',
  'user.stats': 'Orders: {orders} · Shares: {shares} · Connections: {neighbours}',
  'user.notUndone': '—',
  'user.anonymousProfile': 'Anonymous visitor',
  'rel.follow': 'follows',
  'rel.friend': 'friend',
  'rel.invite': 'invite',
};

const DICT: Record<Lang, Record<MessageKey, string>> = { 'zh-CN': zh, en };

export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const text = DICT[lang][key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    /* storage unavailable */
  }
  return 'zh-CN';
}

export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;
interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: T;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      /* ignore */
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${translate(lang, 'app.name')} · ${translate(lang, 'app.subtitle')}`;
  }, [lang]);
  const value = useMemo<I18nValue>(() => ({ lang, setLang, t: (key, vars) => translate(lang, key, vars) }), [lang, setLang]);
  return createElement(I18nContext.Provider, { value }, children);
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
