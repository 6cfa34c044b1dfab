import '../styles.css';
import { loadConfig } from '../config.js';

/**
 * The site root: links to the two pages, and the OAuth redirect URI. When the provider sends someone back
 * here with `?code=&state=`, the sign-in is finished and they return to the page they started from.
 */
async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has('state') || !(params.has('code') || params.has('error'))) return;
  const status = document.getElementById('status');
  try {
    const config = await loadConfig();
    const { completeSignIn } = await import('../oidc.js');
    location.replace(await completeSignIn(config));
  } catch (error) {
    if (status)
      status.textContent = `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

void main();
