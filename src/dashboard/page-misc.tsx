import type { Operator } from "../admin/operator";
import type { KeyView } from "../admin/views";
import { Layout } from "./layout";

export function SignInPage(props: { error?: string }) {
  return (
    <Layout title="Sign in">
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/dashboard/login" class="signin">
        <label for="token">Admin token or operator token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

export function MessagePage(props: { title: string; message: string; operator?: Operator; csrf?: string }) {
  return (
    <Layout title={props.title} operator={props.operator} csrf={props.csrf}>
      <p role="alert">{props.message}</p>
      <p>
        <a href="/dashboard">Back to the overview</a>
      </p>
    </Layout>
  );
}

export function RevokeConfirmPage(props: { operator: Operator; csrf: string; apiKey: KeyView }) {
  const path = `/dashboard/keys/${encodeURIComponent(props.apiKey.id)}`;
  return (
    <Layout title={`Revoke key ${props.apiKey.name}?`} operator={props.operator} csrf={props.csrf}>
      <p>The gateway refuses this key from now on. This cannot be undone.</p>
      <form method="post" action={`${path}/revoke`} class="inline">
        <input type="hidden" name="csrf" value={props.csrf} />
        <button type="submit" class="danger" id="confirm-revoke">
          Revoke the key
        </button>
      </form>
      <a href={path}>Cancel</a>
    </Layout>
  );
}

export function RotatedPage(props: { operator: Operator; csrf: string; apiKey: KeyView; secret: string }) {
  return (
    <Layout title={`New secret for ${props.apiKey.name}`} operator={props.operator} csrf={props.csrf}>
      <p role="alert">This is the only time the new secret is shown: store it now. The old secret stops working now.</p>
      <label for="new-secret">New secret</label>
      <input id="new-secret" readonly value={props.secret} size={60} />
      <p>
        <a href={`/dashboard/keys/${encodeURIComponent(props.apiKey.id)}`}>Back to the key</a>
      </p>
    </Layout>
  );
}
