// The authgate console: log in with an admin token, then four pages over the admin API.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { current, login, logout } from '/console/api.js';
import { Audit, Machines, Overview, Tokens } from '/console/pages.js';

const PAGES = [
  ['overview', 'Overview', Overview],
  ['machines', 'Machines', Machines],
  ['tokens', 'Tokens', Tokens],
  ['audit', 'Audit', Audit],
];

function pageFromHash() {
  const name = location.hash.replace(/^#/, '');
  return PAGES.some(([id]) => id === name) ? name : 'overview';
}

function Login({ onIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await login(token.trim());
      setToken('');
      onIn(me);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return h('main', { class: 'login' },
    h('h1', null, 'authgate console'),
    h('form', { onSubmit: submit, id: 'login-form' },
      h('label', { for: 'login-token' }, 'Admin token'),
      h('input', {
        id: 'login-token', type: 'password', autocomplete: 'off', required: true,
        placeholder: 'aga1-…', value: token, onInput: (e) => setToken(e.target.value),
      }),
      h('button', { type: 'submit', id: 'login-submit', disabled: busy }, busy ? 'Checking…' : 'Log in'),
      error && h('p', { class: 'error', role: 'alert', id: 'login-error' }, error)),
    h('p', { class: 'hint' }, 'Make one on the server: auth-server admin token create --name NAME --scope write'));
}

function App() {
  const [me, setMe] = useState(undefined);
  const [page, setPage] = useState(pageFromHash());
  useEffect(() => {
    current().then(setMe, () => setMe(null));
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (me === undefined) {
    return h('p', { class: 'loading' }, 'Loading…');
  }
  if (me === null) {
    return h(Login, { onIn: setMe });
  }
  const [, , Page] = PAGES.find(([id]) => id === page);
  const out = async () => {
    await logout().catch(() => {});
    setMe(null);
  };
  return h('div', { class: 'shell' },
    h('header', null,
      h('strong', { class: 'brand' }, 'authgate'),
      h('nav', { 'aria-label': 'Pages' },
        PAGES.map(([id, title]) => h('a', {
          href: '#' + id, id: 'nav-' + id, 'aria-current': id === page ? 'page' : undefined,
        }, title))),
      h('span', { class: 'who', id: 'who' }, me.name + ' (' + me.scope + ')'),
      h('button', { type: 'button', onClick: out, id: 'logout' }, 'Log out')),
    h('main', { id: 'page-' + page }, h(Page, { me, onLoggedOut: () => setMe(null) })));
}

render(h(App), document.getElementById('app'));
