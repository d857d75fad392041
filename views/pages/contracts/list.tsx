import { h } from '#jsx';
import type { ContractSummary } from '../../../src/contracts/service';
import { EmptyState } from '../../components/form';
import { contractHref, ContractStatusBadge, equipmentText, monthlyValueText, pricingText } from './shared';
import { TableWrap } from '../../components/table';

const NOTICES: Record<string, string> = {
  deleted: 'Draft deleted.',
  terminated: 'Contract terminated.',
};

/** Customer → Contracts: every contract with its status, equipment, dates and monthly value. */
export function ContractListPanel(props: { customerId: string; contracts: ContractSummary[]; notice?: string }) {
  const newHref = `/admin/customers/${props.customerId}/contracts/new`;
  const notice = props.notice ? NOTICES[props.notice] : undefined;
  return (
    <div class="contracts-panel">
      {notice && (
        <div class="alert alert-success" role="status">
          {notice}
        </div>
      )}
      <div class="panel-actions">
        <h2>Contracts</h2>
        <a class="btn btn-primary" href={newHref}>
          New Contract
        </a>
      </div>
      {props.contracts.length === 0 ? (
        <EmptyState title="No contracts yet">
          <p>Hosted, lease, Infinity (hashrate) and O&amp;M contracts for this customer appear here. Start one with New Contract.</p>
        </EmptyState>
      ) : (
        <TableWrap label="Contracts" wide>
          <table class="table" data-testid="contracts">
            <thead>
              <tr>
                <th scope="col">Contract</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Equipment</th>
                <th scope="col">Start</th>
                <th scope="col">End</th>
                <th scope="col" class="num">
                  Monthly value
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {props.contracts.map((contract) => (
                <tr data-contract-id={contract.id}>
                  <td>
                    <a href={contractHref(props.customerId, contract.id)}>{contract.name}</a>
                  </td>
                  <td>{pricingText(contract)}</td>
                  <td>
                    <ContractStatusBadge status={contract.status} />
                  </td>
                  <td class="num">{equipmentText(contract)}</td>
                  <td>{contract.startDate}</td>
                  <td>{contract.endDate}</td>
                  <td class="num">{monthlyValueText(contract)}</td>
                  <td>
                    <div class="row-actions">
                      {contract.status === 'draft' && (
                        <a class="btn btn-small" href={contractHref(props.customerId, contract.id, contract.kind === 'infinity' ? '' : '/equipment')}>
                          Resume setup
                        </a>
                      )}
                      {contract.status === 'active' && (
                        <a class="btn btn-small" href={contractHref(props.customerId, contract.id, '#contract-actions')}>
                          {contract.kind === 'lease' ? 'Extend or terminate' : 'Terminate'}
                        </a>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </div>
  );
}
