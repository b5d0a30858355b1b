import { fileURLToPath } from 'node:url';
import { sveltekit } from '@sveltejs/kit/vite';
import adapter from '@sveltejs/adapter-static';
import { defineConfig } from 'vite';

// Absolute, because adapter-static resolves its output against the shell's directory
// and the build runs from the repository root.
const build = fileURLToPath(new URL('./build', import.meta.url));
// `npm run dev:client` proxies the API of a running `npm start`.
const api = process.env.HOOKYARD_API_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [
    sveltekit({
      // A single-page app: the API server answers every unknown path with index.html.
      adapter: adapter({ pages: build, assets: build, fallback: 'index.html' }),
      compilerOptions: { runes: true },
    }),
  ],
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/export': api,
    },
  },
});
