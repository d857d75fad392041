import { h } from '#jsx';
import type { SignInRow } from '../../src/security/sign-ins';
import { TableWrap } from './table';
import { Time } from './time';

/**
 * "Recent sign-ins" and "Sign out everywhere", shared by the staff account page and the portal
 * profile. Signing out everywhere ends every session of the account, this one included.
 */
export function SignInsCard(props: { signIns: SignInRow[]; timezone: string; signOutAction: string }) {
  return (
    <section class="card" aria-labelledby="sign-ins-title">
      <h2 class="card-title" id="sign-ins-title">
        Recent sign-ins
      </h2>
      {props.signIns.length === 0 ? (
        <p class="muted">No sign-ins recorded yet.</p>
      ) : (
        <TableWrap label="Recent sign-ins">
          <table class="table" data-testid="sign-ins">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Address</th>
                <th scope="col">Browser</th>
              </tr>
            </thead>
            <tbody>
              {props.signIns.map((row) => (
                <tr>
                  <td>
                    <Time ms={row.at} timezone={props.timezone} />
                  </td>
                  <td>{[row.ip, row.country].filter(Boolean).join(' · ') || '—'}</td>
                  <td class="truncate">{row.userAgent ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form method="post" action={props.signOutAction}>
        <p class="muted">Don’t recognise a sign-in? Sign out everywhere, then change your password.</p>
        <button type="submit" class="btn">
          Sign out everywhere
        </button>
      </form>
    </section>
  );
}
