import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into dist/ (index.html + hashed files under assets/), which foresight serve embeds and
// serves at / and /assets/. `npm run dev` proxies the API to a running server on :8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{js,jsx}'],
    setupFiles: ['src/test-setup.js'],
  },
});
