import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Segmented, Typography } from 'antd';
import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { login } from '../api';
import { errorText } from '../hooks';
import { LANGS, useI18n, type Lang } from '../i18n';
import { navigate } from '../router';

interface LoginForm {
  email: string;
  password: string;
}

export default function LoginPage({ notice }: { notice?: string | null }) {
  const { t, lang, setLang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onFinish = async (values: LoginForm) => {
    setBusy(true);
    setError(null);
    try {
      await login(values.email.trim(), values.password);
      navigate('/', { replace: true });
    } catch (err) {
      setError(errorText(err, t('common.networkError')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <Card className="login-card" data-testid="login-card">
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <div>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {t('app.name')}
            </Typography.Title>
            <Typography.Text type="secondary">{t('app.subtitle')}</Typography.Text>
          </div>
        </div>
        <Typography.Title level={5} style={{ marginTop: 24 }}>
          {t('login.title')}
        </Typography.Title>
        {notice && !error && <Alert type="warning" showIcon title={notice} style={{ marginBottom: 16 }} />}
        {error && <Alert type="error" showIcon title={error} data-testid="login-error" style={{ marginBottom: 16 }} />}
        <Form<LoginForm> layout="vertical" onFinish={onFinish} requiredMark={false} disabled={busy}>
          <Form.Item
            name="email"
            label={t('login.email')}
            rules={[
              { required: true, message: t('login.emailRequired') },
              { type: 'email', message: t('login.emailInvalid') },
            ]}
          >
            <Input prefix={<MailOutlined />} autoComplete="username" data-testid="login-email" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="login-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
            {t('login.submit')}
          </Button>
        </Form>
        <div style={{ marginTop: 16, textAlign: 'center' }}>
          <Segmented<Lang>
            size="small"
            value={lang}
            onChange={setLang}
            options={LANGS.map((l) => ({ label: t(`lang.${l}`), value: l }))}
            data-testid="login-lang"
          />
        </div>
      </Card>
    </div>
  );
}
