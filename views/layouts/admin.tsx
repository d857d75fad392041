import { h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { StaffSession } from '../../src/auth/staff-session';
import { TimezoneNote } from '../components/time';
import { BaseLayout } from './base';

/** Host OS areas in the sidebar. Areas join this list as their issues land. */
const NAV = [
  { key: 'dashboard', label: 'Dashboard', href: '/admin/dashboard' },
  { key: 'customers', label: 'Customers', href: '/admin/customers' },
  { key: 'quotes', label: 'Quotes', href: '/admin/quotes' },
  { key: 'equipment', label: 'Equipment', href: '/admin/equipment' },
  { key: 'sites', label: 'Sites', href: '/admin/sites' },
  { key: 'contracts', label: 'Contracts', href: '/admin/contracts' },
  { key: 'invoices', label: 'Invoices', href: '/admin/invoices' },
  { key: 'alerts', label: 'Alerts', href: '/admin/alerts' },
  { key: 'notify', label: 'Notify', href: '/admin/notify' },
  { key: 'support', label: 'Support', href: '/admin/support' },
  { key: 'settings', label: 'Settings', href: '/admin/settings' },
] as const;
export type AdminArea = (typeof NAV)[number]['key'];

export function AdminLayout(props: { session: StaffSession; title: string; area?: AdminArea; children: Child }) {
  const { session } = props;
  return (
    <BaseLayout title={`${props.title} · ${session.host.name}`} bodyClass="admin">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <aside class="sidebar">
        <div class="brand">
          <span class="brand-host">{session.host.name}</span>
          <span class="brand-sub">Host OS</span>
        </div>
        <nav aria-label="Host OS">
          <NavLinks area={props.area} />
        </nav>
      </aside>
      <div class="main-column">
        <header class="topbar">
          <details class="nav-menu">
            <summary>Menu</summary>
            <nav aria-label="Host OS menu">
              <p class="topbar-brand">{session.host.name}</p>
              <NavLinks area={props.area} />
            </nav>
          </details>
          <div class="who">
            <a class="user-name" href="/admin/account">
              {session.user.name}
            </a>
            <span class="user-role">{session.role}</span>
            {session.hostCount > 1 && (
              <a class="switch-host" href="/admin/hosts">
                Switch host
              </a>
            )}
          </div>
          <form method="post" action="/logout">
            <button type="submit" class="btn btn-link">
              Sign out
            </button>
          </form>
        </header>
        <div id="flash" role="status" aria-live="polite"></div>
        <main id="main">{props.children}</main>
        <footer class="page-footer">
          <TimezoneNote timezone={session.host.timezone} />
        </footer>
      </div>
    </BaseLayout>
  );
}

/**
 * The same links in the sidebar (wide screens) and the <details> menu (phones, no JavaScript
 * needed); CSS shows one of the two.
 */
function NavLinks(props: { area?: AdminArea }) {
  return (
    <ul>
      {NAV.map((item) => (
        <li>
          <a href={item.href} aria-current={props.area === item.key ? 'page' : undefined}>
            {item.label}
          </a>
        </li>
      ))}
    </ul>
  );
}

export function PageHeader(props: { title: string; subtitle?: Child; actions?: Child }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </div>
  );
}
