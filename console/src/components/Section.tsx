import { Alert, Button, Spin } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';

/** Loading / error wrapper used by every data page. */
export function Loadable({ loading, error, onRetry, children }: { loading: boolean; error: string | null; onRetry?: () => void; children: ReactNode }) {
  const { t } = useI18n();
  if (error) {
    return (
      <Alert
        type="error"
        showIcon
        data-testid="page-error"
        title={t('common.error')}
        description={error}
        action={onRetry ? <Button size="small" onClick={onRetry}>{t('common.retry')}</Button> : undefined}
      />
    );
  }
  if (loading) {
    return (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <Spin description={t('common.loading')} size="large">
          <div style={{ height: 40 }} />
        </Spin>
      </div>
    );
  }
  return <>{children}</>;
}
