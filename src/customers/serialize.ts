import type { Customer } from './service';

/** The JSON API's customer: snake_case, times as ISO 8601 UTC. */
export function toApiCustomer(customer: Customer) {
  return {
    id: customer.id,
    name: customer.name,
    company_name: customer.companyName,
    contact_email: customer.contactEmail,
    billing_email: customer.billingEmail,
    effective_billing_email: customer.effectiveBillingEmail,
    phone: customer.phone,
    billing_currency: customer.billingCurrency,
    notes: customer.notes,
    active: customer.active,
    portal_access: customer.portalAccess,
    status: customer.status,
    created_at: new Date(customer.createdAt).toISOString(),
    updated_at: new Date(customer.updatedAt).toISOString(),
  };
}
export type ApiCustomer = ReturnType<typeof toApiCustomer>;
