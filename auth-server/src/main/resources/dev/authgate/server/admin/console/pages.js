// The console's pages. Everything shown comes from the admin API; Preact sets it as text, so a
// name a machine chose can never become markup.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, query, streamUrl } from '/console/api.js';

/** Calls {@code load} now and every {@code every} ms; a 401 logs the console out. */
function usePoll(load, every, deps, onLoggedOut) {
  const [state, setState] = useState({ data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const run = () => load().then(
      (data) => live && setState({ data, error: null }),
      (error) => {
        if (!live) return;
        if (error.status === 401) onLoggedOut();
        setState((s) => ({ data: s.data, error }));
      });
    run();
    const timer = every ? setInterval(run, every) : null;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick]);
  return [state, () => setTick((t) => t + 1)];
}

function Failure({ error }) {
  return error ? h('p', { class: 'error', role: 'alert' }, error.message) : null;
}

function when(text) {
  return text ? text.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '—';
}

function Table({ id, head, rows, empty }) {
  return h('div', { class: 'table' },
    h('table', { id },
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colSpan: head.length, class: 'empty' }, empty)))));
}

function Chart({ minutes }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(280, box.current.clientWidth);
    plot.current = new uPlot({
      width, height: 200,
      series: [{}, { label: 'accepted', stroke: '#2a7' }, { label: 'refused', stroke: '#c33' }],
      axes: [{}, { label: 'per minute' }],
    }, [[], [], []], box.current);
    const resize = () => plot.current.setSize({ width: Math.max(280, box.current.clientWidth), height: 200 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current.destroy();
    };
  }, []);
  useEffect(() => {
    if (plot.current && minutes) {
      plot.current.setData([
        minutes.map((m) => Date.parse(m.minute) / 1000),
        minutes.map((m) => m.accepted),
        minutes.map((m) => m.refused),
      ]);
    }
  }, [minutes]);
  return h('div', { class: 'chart', ref: box, id: 'chart', 'aria-label': 'Accepted and refused connections per minute, last hour' });
}

function CloseSession({ session, me, onDone }) {
  const [armed, setArmed] = useState(false);
  const [error, setError] = useState(null);
  if (me.scope !== 'write') {
    return null;
  }
  const click = async () => {
    if (!armed) {
      setArmed(true);
      return;
    }
    setArmed(false);
    try {
      await api('POST', '/api/sessions/' + encodeURIComponent(session.id) + '/close',
        { reason: 'closed from the console by ' + me.name });
      onDone();
    } catch (e) {
      setError(e.message);
    }
  };
  return h('span', { class: 'actions' },
    h('button', { type: 'button', 'data-action': 'close', class: armed ? 'armed' : '', onClick: click },
      armed ? 'Confirm close' : 'Close'),
    error && h('span', { class: 'error', role: 'alert' }, error));
}

export function Overview({ me, onLoggedOut }) {
  const [overview] = usePoll(() => api('GET', '/api/overview'), 5000, [], onLoggedOut);
  const [sessions, reloadSessions] = usePoll(() => api('GET', '/api/sessions'), 2000, [], onLoggedOut);
  const o = overview.data;
  const card = (label, value, id) => h('div', { class: 'card', id }, h('span', null, label), h('strong', null, String(value)));
  return h('section', null,
    h('h1', null, 'Overview'),
    h(Failure, { error: overview.error || sessions.error }),
    o && h('div', { class: 'cards' },
      card('Sessions now', o.sessions.total, 'card-sessions'),
      card('Chat', o.sessions.chat, 'card-chat'),
      card('Upload', o.sessions.upload, 'card-upload'),
      card('Ping', o.sessions.ping, 'card-ping'),
      card('Machines', o.clients.total, 'card-clients'),
      card('Pending approval', o.clients.pending, 'card-pending'),
      card('Sources penalised', o.penalized_sources, 'card-penalised')),
    h('h2', null, 'Connections, last hour'),
    h(Chart, { minutes: o && o.minutes }),
    h('div', { class: 'columns' },
      h('div', null, h('h2', null, 'Top refusal reasons'),
        h(Table, { id: 'top-reasons', head: ['Reason', 'Count'], empty: 'No refusals in the last hour',
          rows: o ? o.refused_by_reason.map((r) => h('tr', null, h('td', null, r.reason), h('td', null, r.count))) : [] })),
      h('div', null, h('h2', null, 'Top refused sources'),
        h(Table, { id: 'top-sources', head: ['Source', 'Count'], empty: 'No refusals in the last hour',
          rows: o ? o.refused_by_source.map((r) => h('tr', null, h('td', null, r.source), h('td', null, r.count))) : [] }))),
    h('h2', null, 'Verified sessions now'),
    h(Table, { id: 'sessions', head: ['Machine', 'Kind', 'From', 'Since', ''], empty: 'No machine is connected',
      rows: sessions.data ? sessions.data.sessions.map((s) => h('tr', { 'data-client': s.client_id, key: s.id },
        h('td', null, s.client_id), h('td', null, s.kind), h('td', null, s.remote), h('td', null, when(s.since)),
        h('td', null, h(CloseSession, { session: s, me, onDone: reloadSessions })))) : [] }));
}

function Actions({ client, me, onDone }) {
  const [armed, setArmed] = useState(null);
  const [error, setError] = useState(null);
  if (me.scope !== 'write') {
    return null;
  }
  const act = async (action) => {
    if (armed !== action) {
      setArmed(action);
      return;
    }
    setArmed(null);
    try {
      await api('POST', '/api/clients/' + encodeURIComponent(client.client_id) + '/' + action);
      onDone(action + ' ' + client.client_id);
    } catch (e) {
      setError(e.message);
    }
  };
  const button = (action, label) => h('button', {
    type: 'button', 'data-action': action, class: armed === action ? 'armed' : '',
    onClick: () => act(action),
  }, armed === action ? 'Confirm ' + label.toLowerCase() : label);
  return h('span', { class: 'actions' },
    client.state === 'pending' && button('approve', 'Approve'),
    client.state === 'pending' && button('deny', 'Deny'),
    client.state !== 'revoked' && client.state !== 'pending' && button('revoke', 'Revoke'),
    error && h('span', { class: 'error', role: 'alert' }, error));
}

export function Machines({ me, onLoggedOut }) {
  const [search, setSearch] = useState('');
  const [state, setState] = useState('');
  const [said, setSaid] = useState(null);
  const [list, reload] = usePoll(() => api('GET', '/api/clients' + query({ q: search, state })), 5000, [search, state], onLoggedOut);
  const done = (what) => {
    setSaid(what);
    reload();
  };
  const clients = list.data ? list.data.clients : [];
  return h('section', null,
    h('h1', null, 'Machines'),
    h('div', { class: 'filters' },
      h('label', null, 'Search ', h('input', { id: 'machines-search', type: 'search', value: search, onInput: (e) => setSearch(e.target.value) })),
      h('label', null, 'State ', h('select', { id: 'machines-state', value: state, onChange: (e) => setState(e.target.value) },
        ['', 'active', 'pending', 'locked', 'expired', 'revoked'].map((s) => h('option', { value: s }, s || 'any'))))),
    said && h('p', { class: 'said', role: 'status', id: 'machines-said' }, said),
    h(Failure, { error: list.error }),
    list.data && h('p', { class: 'count', id: 'machines-count' },
      list.data.total > clients.length
        ? 'Showing ' + clients.length + ' of ' + list.data.total + ' machines: search to narrow'
        : list.data.total + ' machine(s)'),
    h(Table, { id: 'machines', head: ['Machine', 'State', 'Last seen', 'Sessions', 'Key fingerprint', ''], empty: 'No machine matches',
      rows: clients.map((c) => {
        const key = c.keys.find((k) => k.state === c.state) || c.keys[0];
        return h('tr', { 'data-client': c.client_id, 'data-state': c.state, key: c.client_id },
          h('td', null, c.client_id),
          h('td', null, h('span', { class: 'state ' + c.state }, c.state)),
          h('td', null, when(c.last_seen)),
          h('td', null, c.sessions),
          h('td', { class: 'fingerprint', title: c.state === 'pending' ? 'Compare with what the machine printed' : '' }, key ? key.fingerprint : '—'),
          h('td', null, h(Actions, { client: c, me, onDone: done })));
      }) }));
}

function NewToken({ onMade }) {
  const [form, setForm] = useState({ prefix: '', uses: '1', expires: '1h', approve: true });
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      const token = await api('POST', '/api/tokens', {
        prefix: form.prefix.trim() || undefined, uses: Number(form.uses), expires: form.expires, approve: form.approve,
      });
      setMade(token);
      onMade();
    } catch (e) {
      setError(e.message);
    }
  };
  const field = (name, label, props) => h('label', null, label + ' ',
    h('input', { id: 'token-' + name, value: form[name], onInput: (e) => setForm({ ...form, [name]: e.target.value }), ...props }));
  return h('form', { class: 'filters', id: 'token-form', onSubmit: submit },
    field('prefix', 'Id prefix', { placeholder: 'kiosk-' }), field('uses', 'Uses', { type: 'number', min: 1 }),
    field('expires', 'Expires in', {}),
    h('label', null, h('input', { type: 'checkbox', id: 'token-approve', checked: form.approve, onChange: (e) => setForm({ ...form, approve: e.target.checked }) }), ' Needs approval'),
    h('button', { type: 'submit', id: 'token-create' }, 'Make a token'),
    error && h('p', { class: 'error', role: 'alert' }, error),
    made && h('p', { class: 'said', role: 'status' }, 'Token ' + made.token_id + ', shown only now: ', h('code', { id: 'token-made' }, made.token)));
}

export function Tokens({ me, onLoggedOut }) {
  const [list, reload] = usePoll(() => api('GET', '/api/tokens'), 10000, [], onLoggedOut);
  return h('section', null,
    h('h1', null, 'Enrollment tokens'),
    h('p', { class: 'hint' }, 'A machine enrolls itself with one: auth-client enroll --server HOST --token TOKEN --out FILE.'),
    me.scope === 'write' && h(NewToken, { onMade: reload }),
    h(Failure, { error: list.error }),
    h(Table, { id: 'tokens', head: ['Token', 'State', 'Used', 'Expires', 'Enrolls', 'Approval'], empty: 'No enrollment tokens',
      rows: list.data ? list.data.tokens.map((t) => h('tr', { key: t.token_id },
        h('td', null, t.token_id), h('td', null, t.state), h('td', null, t.used + '/' + t.uses), h('td', null, when(t.expires)),
        h('td', null, t.client_id || (t.prefix ? t.prefix + '*' : 'any id')), h('td', null, t.approve ? 'yes' : 'no'))) : [] }));
}

const KEEP = 500;

export function Audit({ onLoggedOut }) {
  const [form, setForm] = useState({ event: '', client: '', source: '' });
  const [filters, setFilters] = useState(form);
  const [live, setLive] = useState(true);
  const [events, setEvents] = useState([]);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let open = true;
    setError(null);
    api('GET', '/api/audit' + query({ ...filters, limit: 100 })).then((page) => {
      if (!open) return;
      setEvents(page.events);
      setNext(page.next);
    }, (e) => {
      if (e.status === 401) onLoggedOut();
      setError(e);
    });
    let source = null;
    if (live) {
      source = new EventSource(streamUrl('/api/audit/stream', filters));
      source.onmessage = (m) => {
        const event = JSON.parse(m.data);
        setEvents((list) => [event, ...list].slice(0, KEEP));
      };
    }
    return () => {
      open = false;
      if (source) source.close();
    };
  }, [filters, live]);
  const older = async () => {
    const page = await api('GET', '/api/audit' + query({ ...filters, limit: 100, cursor: next }));
    setEvents((list) => [...list, ...page.events]);
    setNext(page.next);
  };
  const field = (name, label) => h('label', null, label + ' ',
    h('input', { id: 'audit-' + name, value: form[name], onInput: (e) => setForm({ ...form, [name]: e.target.value }) }));
  return h('section', null,
    h('h1', null, 'Audit log'),
    h('form', { class: 'filters', id: 'audit-filters', onSubmit: (e) => { e.preventDefault(); setFilters({ ...form }); } },
      field('event', 'Events'), field('client', 'Machine'), field('source', 'Source'),
      h('button', { type: 'submit', id: 'audit-apply' }, 'Filter'),
      h('label', null, h('input', { type: 'checkbox', id: 'audit-live', checked: live, onChange: (e) => setLive(e.target.checked) }), ' Live')),
    h(Failure, { error }),
    h(Table, { id: 'audit', head: ['Time', 'Event', 'Machine', 'Source', 'Why', 'Line'], empty: 'No events match',
      rows: events.map((e) => h('tr', { 'data-event': e.event },
        h('td', null, when(e.ts)), h('td', null, e.event), h('td', null, e.client_id || ''),
        h('td', null, e.remote || e.source || ''), h('td', null, e.reason || e.outcome || ''),
        h('td', null, h('code', null, JSON.stringify(e))))) }),
    next && h('button', { type: 'button', id: 'audit-older', onClick: older }, 'Older events'));
}
