import { h } from '#jsx';
import { STATUS_LABELS, type CustomerStatus } from '../../src/customers/status';

export function StatusBadge(props: { status: CustomerStatus }) {
  return <span class={`badge badge-${props.status}`}>{STATUS_LABELS[props.status]}</span>;
}

const STATUS_EXPLANATIONS: Record<CustomerStatus, string> = {
  active: 'The account is active.',
  inactive: 'The account is disabled: the customer cannot use the portal.',
  in_default: 'The customer is in default.',
  pool_redirected: "The customer's miners are redirected to the holding pool.",
};

/** The bar across the top of a customer's page (DESIGN.md §3 precedence). */
export function StatusBar(props: { status: CustomerStatus; defaultReason: string | null }) {
  const showReason = props.defaultReason && (props.status === 'in_default' || props.status === 'pool_redirected');
  return (
    <div class={`status-bar status-bar-${props.status}`} role="status">
      <StatusBadge status={props.status} />
      <span>{STATUS_EXPLANATIONS[props.status]}</span>
      {showReason && <span class="status-reason">Reason: {props.defaultReason}</span>}
    </div>
  );
}
