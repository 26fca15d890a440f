/** The API client and runtime config for every page. */
import { createContext, useContext } from 'react';
import type { ApiClient } from './client.ts';
import type { RuntimeConfig } from './runtime-config.ts';

export interface ApiContextValue {
  api: ApiClient;
  config: RuntimeConfig;
}

export const ApiContext = createContext<ApiContextValue | undefined>(undefined);

export function useApi(): ApiClient {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi outside ApiContext');
  return value.api;
}

export function useRuntimeConfig(): RuntimeConfig {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useRuntimeConfig outside ApiContext');
  return value.config;
}
