// Regenerate src/policy/data/pg-functions.tsv from a real PostgreSQL catalog:
//   DATABASE_URL=postgresql://... npm run gen:functions
// One line per pg_catalog function name with the distinct volatility letters of its overloads
// (i immutable, s stable, v volatile), the same format as shared/corpus/pg-functions.tsv.
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const url = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/postgres';
const out = new URL('../src/policy/data/pg-functions.tsv', import.meta.url);
const castOut = new URL('../src/policy/data/pg-cast-types.tsv', import.meta.url);
const client = new pg.Client({ connectionString: url });
await client.connect();
const { rows } = await client.query<{ name: string; vol: string; version: string }>(`
  SELECT proname AS name,
         string_agg(DISTINCT provolatile::text, '' ORDER BY provolatile::text) AS vol,
         current_setting('server_version_num') AS version
    FROM pg_proc
   WHERE pronamespace = 'pg_catalog'::regnamespace
   GROUP BY proname
   ORDER BY proname COLLATE "C"`);
// `typname(x)` for a pg_catalog type with no function of that name is a cast, e.g. regrole('x')
const types = await client.query<{ name: string }>(`
  SELECT typname AS name FROM pg_type t
   WHERE typnamespace = 'pg_catalog'::regnamespace AND typname !~ '^_'
     AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = t.typnamespace AND p.proname = t.typname)
   ORDER BY typname COLLATE "C"`);
await client.end();
writeFileSync(out, ['name\tvolatility', ...rows.map((r) => `${r.name}\t${r.vol}`)].join('\n') + '\n');
writeFileSync(castOut, ['name', ...types.rows.map((r) => r.name)].join('\n') + '\n');
process.stdout.write(`wrote ${rows.length} functions and ${types.rows.length} cast-only types from PostgreSQL ${rows[0]?.version}\n`);
