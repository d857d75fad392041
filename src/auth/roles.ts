/**
 * The staff roles, most powerful first: the one list (the schema's column enum, forms, settings
 * pages and permissions all read it). A leaf module, so pages can list roles without importing
 * the database schema.
 */
export const STAFF_ROLES = ['owner', 'admin', 'staff'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
