import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import { addMember, createContract, createHost, createMiner, createSite, createTestCustomer, db, getPage } from '../helpers/fixtures';

/** The `<option>`s of one of the Equipment filter's selects, as [value, label] pairs, in order. */
function choicesOf(page: string, name: string): [string, string][] {
  const select = page.match(new RegExp(`<select[^>]*name="${name}"[^>]*>([\\s\\S]*?)</select>`))?.[1];
  if (select === undefined) throw new Error(`no ${name} select`);
  return [...select.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1]!, m[2]!]);
}
const labelsOf = (page: string, name: string) => choicesOf(page, name).map(([, label]) => label);

async function equipmentPage(cookie: string, query = '') {
  const res = await getPage(`/admin/equipment${query}`, { cookie });
  expect(res.status).toBe(200);
  return res.text();
}

const setUnit = (unitId: string, fields: Partial<typeof miners.$inferInsert>) => db().update(miners).set(fields).where(eq(miners.id, unitId));
const withoutPowerWarning = (page: string) => page.match(/<strong>(\d+) units? without power data\.<\/strong>/)?.[1] ?? null;

describe('the Equipment filter choices (one statement, src/equipment/service.ts)', () => {
  it('lists the host’s sites, models and customers holding units, each in its order, and nobody else’s', async () => {
    const host = await createHost();
    const other = await createHost();
    const [beta, alpha, alphaToo] = [await createSite(host, 'beta hall'), await createSite(host, 'Alpha Hall'), await createSite(host, 'Alpha Hall')];
    const zed = await createTestCustomer(host, { name: 'Zed Mining' });
    const acme = await createTestCustomer(host, { name: 'acme hash' });
    await createTestCustomer(host, { name: 'Idle Customer' });
    await setUnit(await createMiner(host, { siteId: beta, customerId: zed.id }), { model: 'whatsminer M60' });
    await setUnit(await createMiner(host, { siteId: alpha, customerId: acme.id }), { model: 'Antminer S21', nominalPowerW: 3500 });
    await setUnit(await createMiner(host, { siteId: alphaToo, customerId: null, status: 'unassigned' }), { model: 'Avalon A15', nominalPowerW: 3300 });
    const elsewhere = await createSite(other, 'Other Host Site');
    const otherCustomer = await createTestCustomer(other, { name: 'Other Host Customer' });
    await setUnit(await createMiner(other, { siteId: elsewhere, customerId: otherCustomer.id }), { model: 'Other Host Model' });

    const page = await equipmentPage(host.owner.cookie);
    // Sites by name without case, then id; models without case; customers by their sort name.
    expect(choicesOf(page, 'site')).toEqual([['', 'All sites'], ...[alpha, alphaToo].sort().map((id) => [id, 'Alpha Hall'] as [string, string]), [beta, 'beta hall'], ['none', 'No site']]);
    expect(labelsOf(page, 'model')).toEqual(['All models', 'Antminer S21', 'Avalon A15', 'whatsminer M60']);
    expect(choicesOf(page, 'customer')).toEqual([['', 'All customers'], ['none', 'No customer'], [acme.id, 'acme hash'], [zed.id, 'Zed Mining']]);
    // One unit of the three has no nominal power and never reported: flagged above the list.
    expect(withoutPowerWarning(page)).toBe('1');
    expect(page).not.toContain('Other Host');

    // A chosen customer without units stays offered, so the select shows what the list is filtered by.
    const idle = (await createTestCustomer(host, { name: 'Chosen Without Units' })).id;
    expect(labelsOf(await equipmentPage(host.owner.cookie, `?customer=${idle}`), 'customer')).toContain('Chosen Without Units');
    // Another host's customer chosen in the URL is not.
    expect(await equipmentPage(host.owner.cookie, `?customer=${otherCustomer.id}`)).not.toContain('Other Host Customer');
  });

  it('a site-scoped member is offered only their sites, and the customers, models and missing power data of units there', async () => {
    const host = await createHost();
    const north = await createSite(host, 'North Yard');
    const south = await createSite(host, 'South Yard');
    const northCustomer = await createTestCustomer(host, { name: 'Northern Hash' });
    const southCustomer = await createTestCustomer(host, { name: 'Southern Hash' });
    const contracted = await createTestCustomer(host, { name: 'Northern Contract Only' });
    await createContract(host, contracted.id, { kind: 'om', siteIds: [north] });
    await setUnit(await createMiner(host, { siteId: north, customerId: northCustomer.id }), { model: 'North Model', nominalPowerW: 3000 });
    await setUnit(await createMiner(host, { siteId: south, customerId: southCustomer.id }), { model: 'South Model' });
    await setUnit(await createMiner(host, { siteId: south, customerId: southCustomer.id }), { model: 'South Model' });
    const tech = await addMember(host, 'staff', { siteIds: [north] });

    const page = await equipmentPage(tech.cookie);
    expect(choicesOf(page, 'site')).toEqual([['', 'All sites'], [north, 'North Yard'], ['none', 'No site']]);
    expect(labelsOf(page, 'model')).toEqual(['All models', 'North Model']);
    expect(labelsOf(page, 'customer')).toEqual(['All customers', 'No customer', 'Northern Hash']);
    // The south units lack power data; the member cannot see them, so nothing is flagged.
    expect(withoutPowerWarning(page)).toBeNull();
    expect(page).not.toContain('South');
    // Chosen in the URL: a customer the member may see (an O&M contract at their site) is offered, another site's is not.
    expect(labelsOf(await equipmentPage(tech.cookie, `?customer=${contracted.id}`), 'customer')).toContain('Northern Contract Only');
    expect(await equipmentPage(tech.cookie, `?customer=${southCustomer.id}`)).not.toContain('Southern Hash');
    // The owner sees both sites' choices and units.
    const owner = await equipmentPage(host.owner.cookie);
    expect(labelsOf(owner, 'customer')).toEqual(['All customers', 'No customer', 'Northern Hash', 'Southern Hash']);
    expect(withoutPowerWarning(owner)).toBe('2');
  });

  it('names that look like markup come back as text, through the JSON they travel in', async () => {
    const host = await createHost();
    const site = await createSite(host, '<img src=x onerror=alert(1)> "Hall" & \\ Ω');
    const customer = await createTestCustomer(host, { name: '<script>alert("c")</script>' });
    await setUnit(await createMiner(host, { siteId: site, customerId: customer.id }), { model: '</option><b>model</b>' });
    const page = await equipmentPage(host.owner.cookie);
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<b>model</b>');
    expect(labelsOf(page, 'site')).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;Hall&quot; &amp; \\ Ω');
    expect(labelsOf(page, 'customer')).toContain('&lt;script&gt;alert(&quot;c&quot;)&lt;/script&gt;');
  });
});
