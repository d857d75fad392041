import { and, eq, isNull } from 'drizzle-orm';
import { activityInsertIfChanged, diffFields, type Changes } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { hosts } from '../db/schema';
import type { Bindings } from '../env';
import { AppError, notFound, ValidationError, type FieldErrors } from '../lib/errors';
import { newId } from '../lib/ids';
import { imageInfo, sniffImageType, type ImageInfo } from '../lib/image-size';
import { parseInput } from '../lib/validation';
import { BRAND_DEFAULT_COLORS } from './palette';
import { brandingSchema } from './schema';
import { staffActor } from './service';

/**
 * A host's white label for its customer portal and emails: a square logo in R2, a slogan and two
 * colours. Owners and admins edit it (Settings → Branding); staff see it read-only.
 */

export const LOGO_MAX_BYTES = 2 * 1024 * 1024;
export const LOGO_MIN_PIXELS = 200;
/**
 * Larger sides are refused: a flat 20000×20000 PNG compresses under 2 MB yet decodes to 1.6 GB in
 * every browser that shows the portal (a decompression bomb). 4096² decodes to at most 64 MB.
 */
export const LOGO_MAX_PIXELS = 4096;

export type Branding = {
  name: string;
  slogan: string | null;
  /** `#rrggbb`, or null for BRAND_DEFAULT_COLORS.primaryColor. */
  primaryColor: string | null;
  /** `#rrggbb`, or null for BRAND_DEFAULT_COLORS.accentColor. */
  accentColor: string | null;
  /** R2 key in env.FILES (`hosts/<hostId>/logo/<uuid>`), or null when there is no logo. */
  logoKey: string | null;
  /** hosts.updated_at: changes with every branding change (and other host settings); cache-busts URLs. */
  updatedAt: number;
};

/** For the portal and emails: the host's branding as stored. */
export async function getBranding(db: Db, hostId: string): Promise<Branding> {
  const row = await db
    .select({
      name: hosts.name,
      slogan: hosts.brandSlogan,
      primaryColor: hosts.brandPrimaryColor,
      accentColor: hosts.brandAccentColor,
      logoKey: hosts.brandLogoKey,
      updatedAt: hosts.updatedAt,
    })
    .from(hosts)
    .where(eq(hosts.id, hostId))
    .get();
  if (!row) throw notFound('Host');
  return row;
}

/** The key a new logo is stored under: a fresh one per upload, so URLs that include it never go stale. */
export const newLogoKey = (hostId: string) => `hosts/${hostId}/logo/${newId()}`;

const TOO_LARGE = 'The logo is larger than 2 MB; use an image of at most 2 MB.';

/**
 * Checks an uploaded logo from its bytes: type by magic number (never the name or the
 * Content-Type the browser sent), size from the image header. Returns the field message on refusal.
 */
export async function checkLogo(file: Blob): Promise<{ bytes: Uint8Array; info: ImageInfo } | string> {
  if (file.size > LOGO_MAX_BYTES) return TOO_LARGE;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = imageInfo(bytes);
  if (!info) {
    return sniffImageType(bytes)
      ? 'This image could not be read (its header is damaged). Save it again as PNG, JPEG or WebP.'
      : 'This file is not a PNG, JPEG or WebP image.';
  }
  if (info.width !== info.height) return `The logo must be square; this one is ${info.width}×${info.height} pixels.`;
  if (info.width < LOGO_MIN_PIXELS) {
    return `The logo is ${info.width}×${info.height} pixels; use at least ${LOGO_MIN_PIXELS}×${LOGO_MIN_PIXELS}.`;
  }
  if (info.width > LOGO_MAX_PIXELS) {
    return `The logo is ${info.width}×${info.height} pixels; use at most ${LOGO_MAX_PIXELS}×${LOGO_MAX_PIXELS}.`;
  }
  return { bytes, info };
}

export interface BrandingForm {
  /** slogan, primary_color, accent_color */
  fields: Record<string, string>;
  /** The chosen file; null or empty when none was chosen (the logo stays as it is). */
  logo: Blob | null;
  /** The request body was refused unread because it was far over the limit. */
  bodyTooLarge?: boolean;
}

/** A colour that still equals the default stays "default" (null), so saving the form changes nothing. */
const colorValue = (stored: string | null, submitted: string, fallback: string) => (stored === null && submitted === fallback ? null : submitted);

const IMAGE_LABEL: Record<ImageInfo['type'], string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

/**
 * Saves slogan and colours and, when a file was chosen, the new logo: the file is checked first
 * (nothing is stored when anything is wrong), put in R2, the row switched to it in one batch with
 * the activity entry, and only then is the previous object deleted.
 */
export async function updateBranding(db: Db, env: Pick<Bindings, 'FILES'>, session: StaffSession, form: BrandingForm): Promise<Branding> {
  requireThat(can.manageBranding(session.role), 'Only owners and admins can change the branding.');
  const hostId = session.host.id;
  if (form.bodyTooLarge) throw new ValidationError({ logo: TOO_LARGE });
  const errors: FieldErrors = {};
  let input: ReturnType<typeof brandingSchema.parse> | null = null;
  try {
    input = parseInput(brandingSchema, form.fields);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    Object.assign(errors, error.fields);
  }
  let logo: { bytes: Uint8Array; info: ImageInfo } | null = null;
  if (form.logo && form.logo.size > 0) {
    const checked = await checkLogo(form.logo);
    if (typeof checked === 'string') errors.logo = checked;
    else logo = checked;
  }
  if (Object.keys(errors).length > 0 || !input) throw new ValidationError(errors);

  const existing = await getBranding(db, hostId);
  const values = {
    slogan: input.slogan === undefined ? existing.slogan : input.slogan,
    primaryColor: colorValue(existing.primaryColor, input.primary_color, BRAND_DEFAULT_COLORS.primaryColor),
    accentColor: colorValue(existing.accentColor, input.accent_color, BRAND_DEFAULT_COLORS.accentColor),
  };
  const changes: Changes = diffFields(existing, values, ['slogan', 'primaryColor', 'accentColor']);
  const logoKey = logo ? newLogoKey(hostId) : null;
  if (logo) changes.logo = [existing.logoKey ? 'previous logo' : null, `${IMAGE_LABEL[logo.info.type]} ${logo.info.width}×${logo.info.height}`];
  if (Object.keys(changes).length === 0) return existing;

  if (logo && logoKey) {
    await env.FILES.put(logoKey, logo.bytes, {
      httpMetadata: { contentType: logo.info.type },
      customMetadata: { hostId, width: String(logo.info.width), height: String(logo.info.height) },
    });
  }
  const now = Date.now();
  let updated: { id: string }[];
  try {
    [updated] = await db.batch([
      db
        .update(hosts)
        .set({
          brandSlogan: values.slogan,
          brandPrimaryColor: values.primaryColor,
          brandAccentColor: values.accentColor,
          ...(logoKey ? { brandLogoKey: logoKey } : {}),
          updatedAt: now,
        })
        // A new logo replaces the one we read, not one another upload put there meanwhile.
        .where(and(eq(hosts.id, hostId), logoKey ? sameLogo(existing.logoKey) : undefined))
        .returning({ id: hosts.id }),
      activityInsertIfChanged(db, hostId, staffActor(session), 'host.branding_updated', null, changes, now),
    ]);
  } catch (error) {
    if (logoKey) await env.FILES.delete(logoKey);
    throw error;
  }
  if (updated.length === 0) {
    if (logoKey) await env.FILES.delete(logoKey);
    throw new AppError('conflict', 'The logo was changed by someone else at the same moment. Reload the page and try again.');
  }
  if (logoKey && existing.logoKey) await deleteQuietly(env, existing.logoKey);
  return getBranding(db, hostId);
}

const sameLogo = (key: string | null) => (key === null ? isNull(hosts.brandLogoKey) : eq(hosts.brandLogoKey, key));

/** The row no longer points at it, so a failed delete only leaves an unreachable object behind. */
async function deleteQuietly(env: Pick<Bindings, 'FILES'>, key: string): Promise<void> {
  try {
    await env.FILES.delete(key);
  } catch (error) {
    console.error(`could not delete replaced logo ${key}`, error);
  }
}

/** Removes the logo: the row first (with its activity entry), then the R2 object. */
export async function removeLogo(db: Db, env: Pick<Bindings, 'FILES'>, session: StaffSession): Promise<void> {
  requireThat(can.manageBranding(session.role), 'Only owners and admins can change the branding.');
  const hostId = session.host.id;
  const existing = await getBranding(db, hostId);
  if (!existing.logoKey) return;
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(hosts)
      .set({ brandLogoKey: null, updatedAt: now })
      .where(and(eq(hosts.id, hostId), eq(hosts.brandLogoKey, existing.logoKey)))
      .returning({ id: hosts.id }),
    activityInsertIfChanged(db, hostId, staffActor(session), 'host.branding_updated', null, { logo: ['previous logo', null] }, now),
  ]);
  if (updated.length > 0) await deleteQuietly(env, existing.logoKey);
}

/** The host's current logo object (for the admin preview), or null. */
export async function readLogo(db: Db, env: Pick<Bindings, 'FILES'>, hostId: string): Promise<R2ObjectBody | null> {
  const { logoKey } = await getBranding(db, hostId);
  return logoKey ? env.FILES.get(logoKey) : null;
}
