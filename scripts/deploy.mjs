#!/usr/bin/env node
// `npm run deploy`: refuses to deploy unless wrangler.toml keeps development and production
// apart (checkDeployConfig), then applies the remote D1 migrations and deploys --env production.
// `--check` only checks (CI, and the test in test/node/deploy-config.test.mjs).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The development SESSION_SECRET's prefix: it is public (it is in this repository). */
const DEV_SECRET_MARK = 'dev-only';

/**
 * What makes this config unsafe to deploy, as sentences (empty = safe). Read with wrangler's own
 * reader, so inheritance between the top level and [env.production] is wrangler's.
 * @param {string} configPath
 * @returns {Promise<string[]>}
 */
export async function checkDeployConfig(configPath) {
  const { unstable_readConfig: readConfig } = await import('wrangler');
  const quiet = { hideWarnings: true };
  const top = readConfig({ config: configPath }, quiet);
  const problems = [];
  const prod = readConfig({ config: configPath, env: 'production' }, quiet);
  if (top.name === prod.name) {
    problems.push(`The top level and [env.production] share the Worker name "${prod.name}": a plain \`wrangler deploy\` would replace production with development settings. Give the top level another name.`);
  }
  const prodDbs = new Set(prod.d1_databases.map((d) => d.database_id));
  for (const db of top.d1_databases) {
    if (prodDbs.has(db.database_id)) problems.push(`The top level's D1 binding ${db.binding} uses production's database id ${db.database_id}: development must never reach production data.`);
  }
  if (prod.vars?.ENVIRONMENT !== 'production') problems.push('[env.production.vars] must set ENVIRONMENT = "production".');
  if (prod.vars && 'SESSION_SECRET' in prod.vars) {
    problems.push('[env.production.vars] sets SESSION_SECRET in plain text: remove it and use `wrangler secret put SESSION_SECRET --env production`.');
  }
  if (prod.vars && 'PDU_SECRET_KEY' in prod.vars) {
    problems.push('[env.production.vars] sets PDU_SECRET_KEY in plain text: remove it and use `wrangler secret put PDU_SECRET_KEY --env production`.');
  }
  for (const [key, value] of Object.entries(prod.vars ?? {})) {
    if (typeof value === 'string' && value.includes(DEV_SECRET_MARK)) problems.push(`[env.production.vars] ${key} holds a development value.`);
  }
  return problems;
}

async function main() {
  const configPath = path.join(root, 'wrangler.toml');
  const problems = await checkDeployConfig(configPath);
  if (problems.length > 0) {
    console.error('Refusing to deploy:\n' + problems.map((p) => `  - ${p}`).join('\n'));
    process.exit(1);
  }
  console.log('wrangler.toml keeps development and production apart.');
  if (process.argv.includes('--check')) return;
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
  for (const args of [
    ['d1', 'migrations', 'apply', 'DB', '--remote', '--env', 'production'],
    ['deploy', '--env', 'production'],
  ]) {
    const result = spawnSync(wrangler, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
