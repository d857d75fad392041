import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { CustomerForm, type CustomerFormValues } from './form';

export function CustomerFormPage(props: {
  session: StaffSession;
  title: string;
  action: string;
  cancelHref: string;
  submitLabel: string;
  values: CustomerFormValues;
  errors?: FieldErrors;
}) {
  return (
    <AdminLayout session={props.session} title={props.title} area="customers">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/customers">Customers</a> / <span>{props.title}</span>
      </nav>
      <PageHeader title={props.title} />
      <CustomerForm
        action={props.action}
        values={props.values}
        errors={props.errors}
        hostDefaultCurrency={props.session.host.defaultCurrency}
        submitLabel={props.submitLabel}
        cancelHref={props.cancelHref}
      />
    </AdminLayout>
  );
}
