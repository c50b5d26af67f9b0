import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The web view loads only what Vite bundles; the CSP in tauri.conf.json allows nothing else.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: 'es2021', outDir: 'dist', emptyOutDir: true, cssCodeSplit: false },
});
