import * as z from '../lib/schema';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A custom domain as the host types it: a lowercase fully qualified hostname, nothing else (no
 * scheme, port, path or credentials). Upper case is folded and one trailing dot is dropped; the
 * platform-specific rules (not the platform's own name, not .localhost in production) are checked
 * by the service, which knows APP_HOST and ENVIRONMENT.
 */
export const hostnameSchema = z.pipe(z.string({ error: 'Hostname is required.' }).check(z.trim(), z.minLength(1, 'Hostname is required.'), z.superRefine((value, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return fail('Enter the hostname only, without http:// or https://.');
    if (/[/?#]/.test(value)) return fail('Enter the hostname only, without a path.');
    if (value.includes('@')) return fail('Enter the hostname only, like portal.example.com.');
    if (value.includes(':')) return fail('Enter the hostname without a port.');
  })), z.transform((value) => value.toLowerCase().replace(/\.$/, ''))).check(z.superRefine((value, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (!/^[a-z0-9.-]+$/.test(value)) return fail('Use letters, digits, hyphens and dots only, like portal.example.com.');
    if (value.length > 253) return fail('Use at most 253 characters.');
    const labels = value.split('.');
    if (labels.length < 2) return fail('Enter a full domain name, like portal.example.com.');
    if (!labels.every((label) => LABEL.test(label))) {
      return fail('Each part between dots must be 1–63 letters, digits or hyphens, and may not start or end with a hyphen.');
    }
    if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return fail('Enter a domain name, not an IP address.');
  }));

export const domainCreateSchema = z.object({ hostname: hostnameSchema });

/** Where a custom domain's ownership proof lives (a TXT record), and what it must say. */
export const ownershipRecordName = (hostname: string) => `_hashyard.${hostname}`;
export const ownershipRecordValue = (token: string) => `hashyard-verify=${token}`;
