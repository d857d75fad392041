/** The request's hostname without the port (wrangler dev passes Host through unchanged). */
export const requestHostname = (url: string): string => new URL(url).hostname.toLowerCase();
