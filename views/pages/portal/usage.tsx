import { h } from '#jsx';
import type { CustomerUsage } from '../../../src/billing/usage';
import type { PortalContext } from '../../../src/portal/context';
import { PortalLayout, portalHref } from '../../layouts/portal';
import { UsageContent } from '../usage';

/** Portal → Usage: the customer's own units, the same figures staff see, no admin links. */
export function PortalUsagePage(props: { portal: PortalContext; usage: CustomerUsage }) {
  const { portal, usage } = props;
  const base = portalHref(portal, '/usage');
  return (
    <PortalLayout portal={portal} title="Usage" section="usage">
      <h1>Usage</h1>
      <UsageContent
        usage={usage}
        audience="customer"
        formAction={base}
        monthHref={(key) => `${base}?month=${key}`}
        csvHref={`${portalHref(portal, '/usage.csv')}?month=${usage.period.key}`}
      />
    </PortalLayout>
  );
}
