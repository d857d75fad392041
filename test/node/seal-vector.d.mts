import type { SealInput } from '../../src/billing/seal-format';

export const VECTOR_INPUT: SealInput;
export const VECTOR_TEXT: string;
export const VECTOR_HASH: string;
