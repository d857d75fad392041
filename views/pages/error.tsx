import { h } from '#jsx';
import { BaseLayout } from '../layouts/base';

export function ErrorPage(props: { status: number; title: string; message: string; requestId?: string }) {
  return (
    <BaseLayout title={props.title} bodyClass="auth">
      <main class="auth-card error-page">
        <p class="error-status">{props.status}</p>
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        {props.requestId && <p class="muted small">Reference: {props.requestId}</p>}
        <p>
          <a href="/">Go to the start page</a>
        </p>
      </main>
    </BaseLayout>
  );
}

/** What htmx swaps into #flash when a request it made fails. */
export function ErrorFragment(props: { message: string }) {
  return (
    <div class="alert alert-error" role="alert">
      {props.message}
    </div>
  );
}
