// The portal's Sign out, in the top bar of every page: the form posts to the BFF's
// `POST /auth/signout` with fetch. A plain form post would carry `Origin: null` (the BFF serves the
// portal with `Referrer-Policy: no-referrer`), which the route refuses as it refuses other sites.

/** Wires the top bar's `form.signout`: signs out, then opens the portal's front page. */
export function setUpSignOut(): void {
  const form = document.querySelector<HTMLFormElement>('form.signout');
  if (!form) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void signOut(form);
  });
}

async function signOut(form: HTMLFormElement): Promise<void> {
  const button = form.querySelector('button');
  if (button) button.disabled = true;
  try {
    const response = await fetch(form.action, { method: 'POST', credentials: 'same-origin', redirect: 'manual' });
    // The route answers with a redirect to the front page (opaque here) once the session is gone.
    if (response.type !== 'opaqueredirect' && !response.ok) throw new Error(`the server answered ${response.status}`);
    location.assign('/');
  } catch (error) {
    if (button) {
      button.disabled = false;
      button.textContent = 'Sign out (failed, try again)';
      button.title = String(error);
    }
  }
}
