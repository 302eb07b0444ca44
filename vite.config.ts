import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const backend = process.env.API_URL ?? 'http://127.0.0.1:3000';

// The dashboard lives in src/web and builds to dist/web, which the server serves at /.
export default defineConfig({
  root: 'src/web',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: true },
      '/health': { target: backend, changeOrigin: true },
      '/docs': { target: backend, changeOrigin: true },
    },
  },
});
