import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { poolRedirects, poolRedirectUnits } from '../../src/db/schema';
import { openCase } from '../../src/default/service';
import { staffActor } from '../../src/hosts/service';
import { insertMiner } from '../helpers/alerts';
import { setHoldingPool } from '../helpers/default';
import { addMember, createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';
import { createSite } from '../helpers/telemetry';

/** The Default status tab (issue 10): starting a redirect takes a typed confirmation; the case's history step by step. */

async function setup(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  await setHoldingPool(host, 'stratum+tcp://holding.confirm.example:3333');
  const customer = await createTestCustomer(host, { name: `${name} Customer` });
  await insertMiner(host, { siteId, customerId: customer.id });
  await insertMiner(host, { siteId, customerId: customer.id });
  const caseRow = await openCase(db(), env, host.hostId, staffActor(host.owner.session), customer.id, { reason: 'Unpaid <script>alert(1)</script>' });
  const path = `/admin/customers/${customer.id}/default-status/cases/${caseRow.id}/redirect`;
  return { host, customer, caseRow, path };
}

const redirectsOf = (customerId: string) => db().select().from(poolRedirects).where(eq(poolRedirects.customerId, customerId)).all();

describe('starting a redirect from the Default status tab', () => {
  it('the preview asks for the typed confirmation; without it (or wrong) 422 with the preview again and nothing written', async () => {
    const { host, customer, path } = await setup('Confirm Host');
    const preview = await (await getPage(`/admin/customers/${customer.id}/default-status/preview?scope=all`, { cookie: host.owner.cookie })).text();
    expect(preview).toContain('Type REDIRECT to confirm');
    expect(preview).toContain('name="confirmation"');

    for (const confirmation of [undefined, '', 'yes', 'REDIRECTS']) {
      const res = await postForm(path, { scope: 'all', ...(confirmation === undefined ? {} : { confirmation }) }, { cookie: host.owner.cookie });
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain('Type REDIRECT to start the redirect.');
      expect(html).toContain('data-testid="redirect-preview"');
    }
    expect(await redirectsOf(customer.id)).toHaveLength(0);
    expect(await db().select().from(poolRedirectUnits).where(eq(poolRedirectUnits.customerId, customer.id)).all()).toHaveLength(0);

    // Typed (any case, spaces around): started.
    const ok = await postForm(path, { scope: 'all', confirmation: ' redirect ' }, { cookie: host.owner.cookie });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toContain('done=redirect');
    expect(await redirectsOf(customer.id)).toHaveLength(1);
  });

  it('a bad share with the confirmation typed is refused (422) and writes nothing; staff (not owner/admin) cannot start one', async () => {
    const { host, customer, path } = await setup('Confirm Share Host');
    const bad = await postForm(path, { scope: 'count', count: '0', confirmation: 'REDIRECT' }, { cookie: host.owner.cookie });
    expect(bad.status).toBe(422);
    expect(await redirectsOf(customer.id)).toHaveLength(0);

    const member = await addMember(host, 'staff');
    const refused = await postForm(path, { scope: 'all', confirmation: 'REDIRECT' }, { cookie: member.cookie });
    expect(refused.status).toBe(403);
    expect(await redirectsOf(customer.id)).toHaveLength(0);
  });
});

describe('the case, step by step', () => {
  it('lists the case’s steps with their actors in words (escaped), on the tab and in the Activity tab; the last case stays shown after it closes', async () => {
    const { host, customer, caseRow, path } = await setup('Timeline Host');
    expect((await postForm(path, { scope: 'all', confirmation: 'REDIRECT' }, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await postForm(`/admin/customers/${customer.id}/default-status/cases/${caseRow.id}/redirect/end`, {}, { cookie: host.owner.cookie })).status).toBe(303);

    const tab = await (await getPage(`/admin/customers/${customer.id}/default-status`, { cookie: host.owner.cookie })).text();
    expect(tab).toContain('This case, step by step');
    const steps = ['ended the pool redirect', 'started a pool redirect', 'opened a default case'];
    const at = steps.map((step) => tab.indexOf(step));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at); // newest first
    expect(tab).not.toContain('<script>alert(1)</script>');
    expect(tab).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    const activity = await (await getPage(`/admin/customers/${customer.id}/activity`, { cookie: host.owner.cookie })).text();
    for (const step of steps) expect(activity).toContain(step);
    expect(activity).not.toContain('default.opened');

    expect((await postForm(`/admin/customers/${customer.id}/default-status/cases/${caseRow.id}/close`, { reason: 'Settled' }, { cookie: host.owner.cookie })).status).toBe(303);
    const closed = await (await getPage(`/admin/customers/${customer.id}/default-status`, { cookie: host.owner.cookie })).text();
    expect(closed).toContain('The last case, step by step');
    expect(closed).toContain('closed the default case');
  });
});
