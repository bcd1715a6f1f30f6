import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console is a plain React SPA; JSX is compiled by esbuild (no React plugin needed).
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      onwarn(warning, warn) {
        // antd ships "use client" directives, meaningless in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (/node_modules\/(echarts|zrender|tslib)\//.test(id)) return 'echarts';
          if (/node_modules\/(react|react-dom|scheduler)\//.test(id)) return 'react';
          return 'antd';
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': process.env.LIEBIAN_URL ?? 'http://127.0.0.1:8080',
      '/readyz': process.env.LIEBIAN_URL ?? 'http://127.0.0.1:8080',
    },
  },
});
