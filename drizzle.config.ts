import { defineConfig } from 'drizzle-kit';

// Used only by `npm run db:generate`; the server applies db/migrations itself at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
});
