import { CONTRACT_KINDS, KIND_LABELS } from '../../../src/contracts/schema';
import { STATUS_LABELS, CUSTOMER_STATUSES } from '../../../src/customers/status';
import type { Announcement, DeliveryFigures, RecipientPreview } from '../../../src/notify/service';

export type { Announcement, DeliveryFigures, RecipientPreview };

export interface RecipientRow {
  seq: number;
  email: string;
  name: string;
  customer_id: string;
  customer_name: string | null;
  status: string;
  sent_at: number | null;
  last_error: string | null;
}

export interface TargetOptions {
  sites: { id: string; name: string }[];
  customers: { id: string; name: string }[];
}

export const CONTRACT_KIND_OPTIONS = CONTRACT_KINDS.map((kind) => [kind, KIND_LABELS[kind]] as const);
export const STATUS_OPTIONS = CUSTOMER_STATUSES.map((status) => [status, STATUS_LABELS[status]] as const);
export const contractKindName = (kind: string) => KIND_LABELS[kind as keyof typeof KIND_LABELS] ?? kind;
