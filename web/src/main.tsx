/** Entry: reads /config.json, completes or starts sign-in when the config asks for OIDC, then renders the app. */
import '@patternfly/react-core/dist/styles/base.css';
import './app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { createApiClient } from './api/client.ts';
import { loadRuntimeConfig } from './api/runtime-config.ts';
import { beginSignIn, CALLBACK_PATH, completeSignIn, readStoredToken } from './api/oidc.ts';

async function start(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  const config = await loadRuntimeConfig();
  const auth = config.auth;
  if (auth.mode === 'oidc') {
    try {
      if (location.pathname === CALLBACK_PATH) history.replaceState(null, '', await completeSignIn(auth));
      else if (!readStoredToken()) return void (await beginSignIn(auth));
    } catch (error) {
      root.render(<p role="alert">{(error as Error).message}. <a href="/">Try again</a></p>);
      return;
    }
  }
  const api = createApiClient(config, () => {
    if (auth.mode === 'oidc') void beginSignIn(auth);
  });
  root.render(
    <StrictMode>
      <App api={api} config={config} />
    </StrictMode>,
  );
}

void start();
