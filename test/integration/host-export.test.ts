import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/billing/seal-format';
import { agents, customerUsers, hostExports } from '../../src/db/schema';
import { recordPayment } from '../../src/billing/payments';
import { staffActor } from '../../src/hosts/service';
import { PART_BYTES, runExportCron, runExportStep } from '../../src/team/export';
import { EXPORT_FILES } from '../../src/team/export-tables';
import { portalCustomer } from '../helpers/alerts';
import { insertInvoice } from '../helpers/billing';
import { registeredAgent } from '../helpers/telemetry';
import { usageRows } from '../helpers/invoicing';
import { addMember, createContract, createHost, createMiner, createSite, createTestCustomer, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { latestEmail } from '../helpers/portal';
import { unzip } from '../helpers/unzip';

/** A host with a row in most exported tables: customers, a portal user, units, a contract, money, usage, an agent. */
async function populatedHost(name: string) {
  const host = await createHost(name);
  const site = await createSite(host, `${name} Yard`);
  const customer = await createTestCustomer(host, { name: `${name} Customer, "quoted"`, notes: '=HYPERLINK("x")\nsecond line' });
  const portal = await portalCustomer(host, `${name} Portal Co`);
  const units = [await createMiner(host, { siteId: site, customerId: customer.id }), await createMiner(host, { siteId: site, customerId: portal.customer.id })];
  const contract = await createContract(host, customer.id, { kind: 'om', siteIds: [site] });
  await insertInvoice(host, customer.id, { totalMinor: 12_345, energyLine: { contractId: contract, amountMinor: 2_345 } });
  await recordPayment(db(), host.hostId, staffActor(host.owner.session), customer.id, { method: 'wire', received_on: '2026-03-01', amount: '50.00', currency: 'USD' });
  await usageRows(
    host,
    Array.from({ length: 30 }, (_, i) => ({ minerId: units[i % 2]!, siteId: site, customerId: customer.id, hourStart: Date.UTC(2026, 2, 1, i), energyWh: 3_250 + i })),
  );
  await registeredAgent(host, site);
  return { host, site, customer, portal, units };
}

async function waitForExport(exportId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await db().select().from(hostExports).where(eq(hostExports.id, exportId)).get();
    if (row && (row.status === 'ready' || row.status === 'failed')) return row;
    if (Date.now() > until) throw new Error(`export ${exportId} still ${row?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startExport(host: TestHost): Promise<string> {
  const res = await postForm('/admin/settings/export', {}, { cookie: host.owner.cookie });
  expect(res.status).toBe(303);
  const row = await db().select({ id: hostExports.id }).from(hostExports).where(eq(hostExports.hostId, host.hostId)).get();
  return row!.id;
}

async function download(host: TestHost, exportId: string) {
  const res = await getPage(`/admin/settings/export/${exportId}/download`, { cookie: host.owner.cookie });
  expect(res.status).toBe(200);
  expect(res.headers.get('Content-Type')).toBe('application/zip');
  return unzip(await res.arrayBuffer());
}

/** How many rows of the host a file's table holds, straight from D1. */
async function hostRowCount(file: (typeof EXPORT_FILES)[number], hostId: string) {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${file.from} WHERE t.host_id = ?1`).bind(hostId).first<{ n: number }>();
  return row!.n;
}

describe('Settings → Export', () => {
  it('builds in the background a ZIP with every row of the host and none of another, then emails the owner', async () => {
    const a = await populatedHost('Alpha Hosting');
    const b = await populatedHost('Beta Hosting');
    const exportId = await startExport(a.host);

    const page = await (await getPage('/admin/settings/export', { cookie: a.host.owner.cookie })).text();
    expect(page).toContain('data-testid="export-progress"');
    const row = await waitForExport(exportId);
    expect(row.status).toBe('ready');
    expect(row.expiresAt - Date.now()).toBeGreaterThan(6.9 * 86_400_000);

    const files = await download(a.host, exportId);
    expect([...files.keys()].sort()).toEqual([...EXPORT_FILES.map((f) => f.file), 'README.txt'].sort());
    let total = 0;
    for (const file of EXPORT_FILES) {
      const records = parseCsv(files.get(file.file)!);
      expect(records[0], file.file).toEqual(file.columns);
      const body = records.slice(1);
      expect(body.length, `${file.file}: every row of the host`).toBe(await hostRowCount(file, a.host.hostId));
      total += body.length;
      const hostColumn = file.columns.indexOf('host_id');
      if (hostColumn >= 0) for (const record of body) expect(record[hostColumn], file.file).toBe(a.host.hostId);
    }
    expect(row.rowCount).toBe(total);
    // The populated tables did export rows (not a vacuous match of zero against zero).
    for (const name of ['customers.csv', 'portal_users.csv', 'staff.csv', 'units.csv', 'contracts.csv', 'contract_sites.csv', 'invoices.csv', 'invoice_lines.csv', 'payments.csv', 'usage_hourly.csv', 'agents.csv', 'activity.csv']) {
      expect(parseCsv(files.get(name)!).length, name).toBeGreaterThan(1);
    }
    expect(parseCsv(files.get('usage_hourly.csv')!).length).toBe(31);

    // Nothing of the other host, anywhere in the archive.
    const everything = [...files.values()].join('\n');
    for (const foreign of [b.host.hostId, b.customer.id, b.site, ...b.units, b.portal.customer.id]) expect(everything).not.toContain(foreign);

    // Secrets stay out: the columns and their values.
    const agentRow = await db().select().from(agents).where(eq(agents.hostId, a.host.hostId)).get();
    const portalUser = await db().select().from(customerUsers).where(eq(customerUsers.hostId, a.host.hostId)).get();
    expect(parseCsv(files.get('agents.csv')!)[0]).not.toContain('token_hash');
    expect(everything).not.toContain(agentRow!.tokenHash!);
    expect(parseCsv(files.get('portal_users.csv')!)[0]).not.toContain('password_hash');
    expect(everything).not.toContain(portalUser!.passwordHash);

    // Text survives quoting, and formulas are defused.
    const customersCsv = parseCsv(files.get('customers.csv')!);
    const nameAt = customersCsv[0]!.indexOf('name');
    const notesAt = customersCsv[0]!.indexOf('notes');
    const alpha = customersCsv.find((r) => r[nameAt] === 'Alpha Hosting Customer, "quoted"');
    expect(alpha![notesAt]).toBe('\'=HYPERLINK("x")\nsecond line');

    const readme = files.get('README.txt')!;
    for (const file of EXPORT_FILES) expect(readme).toContain(file.file);
    expect(readme).toContain('amount_minor - money, integer minor units');

    const mail = await latestEmail(a.host.owner.email, 'platform_notice');
    expect(mail.subject).toBe('Your data export of Alpha Hosting is ready');
    expect(mail.data.actionUrl).toBe('https://hashyard.test/admin/settings/export');
  });

  it('shows progress while building and polls only until done', async () => {
    const host = await createHost('Progress Host');
    const now = Date.now();
    const id = crypto.randomUUID();
    await db()
      .insert(hostExports)
      .values({ id, hostId: host.hostId, requestedById: host.owner.userId, requestedByEmail: host.owner.email, status: 'running', progress: 40, rowCount: 1234, expiresAt: now + 86_400_000, createdAt: now, updatedAt: now });
    const fragment = await (await getPage(`/admin/settings/export/${id}/progress`, { cookie: host.owner.cookie, htmx: true })).text();
    expect(fragment).toContain('hx-trigger="every 2s"');
    expect(fragment).toContain('value="40"');
    expect(fragment).toContain('1,234 rows');
    // A second request while one is building returns the same export, not a second build.
    expect((await postForm('/admin/settings/export', {}, { cookie: host.owner.cookie })).status).toBe(303);
    expect(await db().select().from(hostExports).where(eq(hostExports.hostId, host.hostId)).all()).toHaveLength(1);

    await db().update(hostExports).set({ status: 'failed', error: 'boom' }).where(eq(hostExports.id, id));
    const done = await (await getPage(`/admin/settings/export/${id}/progress`, { cookie: host.owner.cookie, htmx: true })).text();
    expect(done).not.toContain('hx-trigger');
    expect(done).toContain('could not be built: boom');
  });

  it('pages a table bigger than one R2 part across queue invocations and still writes one valid ZIP', async () => {
    const host = await createHost('Big Host');
    const site = await createSite(host, 'Big Yard');
    const unit = await createMiner(host, { siteId: site });
    // ~36,000 hours of one unit: over 5 MiB of CSV, so at least two parts, and 36 pages of reads.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 35999)
       INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
       SELECT ?1, 1700000000000 + i * 3600000, ?2, ?3, 'c0ffee00-0000-4000-8000-000000000000', 3000 + i, 'miner', 110000 + i, 3600, 60 FROM n`,
    )
      .bind(unit, host.hostId, site)
      .run();
    const now = Date.now();
    const id = crypto.randomUUID();
    await db()
      .insert(hostExports)
      .values({ id, hostId: host.hostId, requestedById: host.owner.userId, requestedByEmail: host.owner.email, status: 'queued', expiresAt: now + 86_400_000, createdAt: now, updatedAt: now });
    // No time at all: the step stops after its first full part and re-queues the build, which
    // the real queue consumer then finishes from the saved state.
    const first = await runExportStep(env, { kind: 'host_export', hostId: host.hostId, exportId: id, origin: 'https://hashyard.test' }, { budgetMs: 0 });
    expect(first).toBe('continued');
    const saved = await db().select().from(hostExports).where(eq(hostExports.id, id)).get();
    expect(JSON.parse(saved!.state!).parts).toHaveLength(1);

    const row = await waitForExport(id, 60_000);
    expect(row.status).toBe('ready');
    expect(row.sizeBytes!).toBeGreaterThan(PART_BYTES);
    const files = await download(host, id);
    const usage = parseCsv(files.get('usage_hourly.csv')!);
    expect(usage).toHaveLength(36_001);
    const hours = usage.slice(1).map((r) => Number(r[1]));
    expect(new Set(hours).size).toBe(36_000);
    expect(await env.FILES.head(`exports/${host.hostId}/${id}.carry`)).toBeNull();
  }, 90_000);
});

describe('who may export', () => {
  it('only the owner: admins and staff get 403 on the page, the start, the progress and the download', async () => {
    const host = await createHost('Owner Only');
    const admin = await addMember(host, 'admin');
    const staff = await addMember(host, 'staff');
    const exportId = await startExport(host);
    await waitForExport(exportId);
    for (const member of [admin, staff]) {
      expect((await getPage('/admin/settings/export', { cookie: member.cookie })).status).toBe(403);
      expect((await postForm('/admin/settings/export', {}, { cookie: member.cookie })).status).toBe(403);
      expect((await getPage(`/admin/settings/export/${exportId}/progress`, { cookie: member.cookie })).status).toBe(403);
      expect((await getPage(`/admin/settings/export/${exportId}/download`, { cookie: member.cookie })).status).toBe(403);
      const settings = await (await getPage('/admin/settings/staff', { cookie: member.cookie })).text();
      expect(settings).not.toContain('href="/admin/settings/export"');
    }
    expect(await db().select().from(hostExports).where(eq(hostExports.hostId, host.hostId)).all()).toHaveLength(1);
    const ownerSettings = await (await getPage('/admin/settings/staff', { cookie: host.owner.cookie })).text();
    expect(ownerSettings).toContain('href="/admin/settings/export"');
    // Signed out: the sign-in page, never the file.
    const signedOut = await getPage(`/admin/settings/export/${exportId}/download`);
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('Location')).toContain('/login');
  });

  it("never another host's export: its id answers 404 for every route", async () => {
    const a = await createHost('Export A');
    const b = await createHost('Export B');
    const exportId = await startExport(a);
    await waitForExport(exportId);
    expect((await getPage(`/admin/settings/export/${exportId}/download`, { cookie: b.owner.cookie })).status).toBe(404);
    expect((await getPage(`/admin/settings/export/${exportId}/progress`, { cookie: b.owner.cookie })).status).toBe(404);
    const page = await (await getPage('/admin/settings/export', { cookie: b.owner.cookie })).text();
    expect(page).not.toContain(exportId);
  });

  it('refuses a cross-site post (CSRF): nothing is queued', async () => {
    const host = await createHost('Csrf Export');
    for (const origin of [null, 'https://evil.example']) {
      const res = await postForm('/admin/settings/export', {}, { cookie: host.owner.cookie, origin });
      expect(res.status).toBe(403);
    }
    expect(await db().select().from(hostExports).where(eq(hostExports.hostId, host.hostId)).all()).toHaveLength(0);
  });
});

describe('expiry', () => {
  it('refuses the download after 7 days, and the cron deletes the file', async () => {
    const host = await createHost('Expiring Host');
    const exportId = await startExport(host);
    const row = await waitForExport(exportId);
    expect(await env.FILES.head(row.objectKey!)).not.toBeNull();

    await db().update(hostExports).set({ expiresAt: Date.now() - 1 }).where(eq(hostExports.id, exportId));
    const refused = await getPage(`/admin/settings/export/${exportId}/download`, { cookie: host.owner.cookie });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain('This export has expired');

    const result = await runExportCron(env, Date.now(), 'https://hashyard.test');
    expect(result.expired).toBeGreaterThanOrEqual(1);
    const after = await db().select().from(hostExports).where(eq(hostExports.id, exportId)).get();
    expect(after!.status).toBe('expired');
    expect(after!.objectKey).toBeNull();
    expect(await env.FILES.head(row.objectKey!)).toBeNull();
    const page = await (await getPage('/admin/settings/export', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Expired');
    expect(page).not.toContain(`/admin/settings/export/${exportId}/download`);
  });
});
