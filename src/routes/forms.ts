import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { ValidationError, type FieldErrors } from '../lib/errors';
import { isHtmx } from '../lib/http';

type Rerendered = { fragment: JSX.Element; page: JSX.Element };

/**
 * Runs a form action; when its input is invalid, re-renders the form with field errors (422):
 * only the form for htmx (it swaps itself), the whole page for a plain post.
 */
export async function handleForm(
  c: Context,
  action: () => Promise<Response>,
  rerender: (errors: FieldErrors) => Rerendered | Promise<Rerendered>,
): Promise<Response> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const { fragment, page } = await rerender(error.fields ?? {});
    return c.html(isHtmx(c) ? fragment : page, 422);
  }
}
