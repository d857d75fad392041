import { h } from '#jsx';
import type { Child } from 'hono/jsx';
import { BaseLayout } from './base';

export function AuthLayout(props: { title: string; children: Child }) {
  return (
    <BaseLayout title={`${props.title} · Hashyard`} bodyClass="auth">
      <main class="auth-card">
        <div class="auth-brand">Hashyard</div>
        {props.children}
      </main>
    </BaseLayout>
  );
}
