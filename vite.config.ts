import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served from a relative base so the built folder works from any path (a USB stick at a talk, too).
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { port: 5173 },
});
