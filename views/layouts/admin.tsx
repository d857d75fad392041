import type { Child } from 'hono/jsx';
import type { StaffSession } from '../../src/auth/staff-session';
import { BaseLayout } from './base';

/** Host OS areas in the sidebar. Areas join this list as their issues land. */
const NAV = [
  { key: 'dashboard', label: 'Dashboard', href: '/admin/dashboard' },
  { key: 'customers', label: 'Customers', href: '/admin/customers' },
  { key: 'equipment', label: 'Equipment', href: '/admin/equipment' },
  { key: 'sites', label: 'Sites', href: '/admin/sites' },
  { key: 'alerts', label: 'Alerts', href: '/admin/alerts' },
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
          <ul>
            {NAV.map((item) => (
              <li>
                <a href={item.href} aria-current={props.area === item.key ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <div class="main-column">
        <header class="topbar">
          <div class="who">
            <a class="user-name" href="/admin/account">
              {session.user.name}
            </a>
            <span class="user-role">{session.role}</span>
          </div>
          <form method="post" action="/logout">
            <button type="submit" class="btn btn-link">
              Sign out
            </button>
          </form>
        </header>
        <div id="flash" aria-live="polite"></div>
        <main id="main">{props.children}</main>
      </div>
    </BaseLayout>
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
