// The playground page's script (served as /page.js, a module): renders what GET /ui/state returns (messages with
// Block Kit, threads, ephemeral messages, confirm dialogs, App Home, the knobs) and posts what the person does to /ui/....
const EMOJI = {
  warning: '\u26a0\ufe0f', rotating_light: '\ud83d\udea8', x: '\u274c', white_check_mark: '\u2705', hourglass_flowing_sand: '\u23f3',
  hourglass: '\u231b', rewind: '\u23ea', ok_hand: '\ud83d\udc4c', no_bell: '\ud83d\udd15', information_source: '\u2139\ufe0f',
  no_entry: '\u26d4', bell: '\ud83d\udd14', red_circle: '\ud83d\udd34', large_green_circle: '\ud83d\udfe2', arrows_counterclockwise: '\ud83d\udd04',
  arrow_down: '\u2b07\ufe0f', arrow_up: '\u2b06\ufe0f', no_entry_sign: '\ud83d\udeab', mag: '\ud83d\udd0d', eyes: '\ud83d\udc40', checkered_flag: '\ud83c\udfc1',
  busts_in_silhouette: '\ud83d\udc65', broom: '\ud83e\uddf9', test_tube: '\ud83e\uddea', robot_face: '\ud83e\udd16', raised_hand: '\u270b',
  point_right: '\ud83d\udc49', leftwards_arrow_with_hook: '\u21a9\ufe0f', heavy_plus_sign: '\u2795', grey_question: '\u2754',
  chart_with_upwards_trend: '\ud83d\udcc8', chart_with_downwards_trend: '\ud83d\udcc9', heavy_check_mark: '\u2714\ufe0f', tada: '\ud83c\udf89',
  rocket: '\ud83d\ude80', fire: '\ud83d\udd25', lock: '\ud83d\udd12', calendar: '\ud83d\udcc5', clock3: '\ud83d\udd52', memo: '\ud83d\udcdd',
  speech_balloon: '\ud83d\udcac', thumbsup: '\ud83d\udc4d', bar_chart: '\ud83d\udcca', crab: '\ud83e\udd80', snake: '\ud83d\udc0d',
  large_yellow_circle: '\ud83d\udfe1', white_circle: '\u26aa', black_circle: '\u26ab', stopwatch: '\u23f1\ufe0f', gear: '\u2699\ufe0f',
  shield: '\ud83d\udee1\ufe0f', pause_button: '\u23f8\ufe0f', arrow_right: '\u27a1\ufe0f', sparkles: '\u2728', construction: '\ud83d\udea7',
};
const AVATAR_COLORS = { U0ALICE: '#2f6fba', U0BOB: '#2e8b57', U0CAROL: '#9b4dca', U0MALLORY: '#c2410c' };
const DEFAULT_KNOBS = { errorRate: 0.0004, rustP99: 0.12, pythonP99: 0.1, shadowMatch: 0.9995 };

const params = new URLSearchParams(location.hash.slice(1));
const state = {
  me: 'U0ALICE',
  tab: params.get('tab') === 'home' ? 'home' : 'channel',
  data: null,
  openThreads: new Set(),
  closedThreads: new Set(),
  knownReplies: new Map(),
  loaded: false,
  stick: true,
  history: [],
  historyIndex: -1,
  knobsBuilt: false,
  homeRequestedFor: null,
  worldId: null,
};

const $ = (sel) => document.querySelector(sel);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(3)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// ---------- mrkdwn ----------

function escapeHtml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
function decodeEntities(s) {
  return String(s).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
function emojify(html) {
  return html.replace(/:([a-z0-9_+\-]+):/g, (m, name) => (Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : m));
}
function userById(id) {
  return (state.data && state.data.users.find((u) => u.id === id)) || null;
}
function renderToken(inner) {
  if (inner.startsWith('@')) {
    const id = inner.slice(1).split('|')[0];
    const u = userById(id);
    const label = u ? u.name : id === (state.data && state.data.bot.id) ? 'mcp-canary' : id;
    return '<span class="mention' + (id === state.me ? ' me' : '') + '">@' + escapeHtml(label) + '</span>';
  }
  if (inner.startsWith('#')) {
    const [id, name] = inner.slice(1).split('|');
    const label = name || (state.data && state.data.channel.id === id ? state.data.channel.name : id);
    return '<span class="mention">#' + escapeHtml(label) + '</span>';
  }
  if (inner.startsWith('!')) {
    const bar = inner.indexOf('|');
    const body = bar >= 0 ? inner.slice(1, bar) : inner.slice(1);
    const fallback = bar >= 0 ? inner.slice(bar + 1) : '';
    if (body.startsWith('date^')) return escapeHtml(decodeEntities(fallback || body));
    if (body.startsWith('subteam^')) return '<span class="mention">@' + escapeHtml(fallback || body.slice(8)) + '</span>';
    if (body === 'here' || body === 'channel' || body === 'everyone') return '<span class="mention">@' + body + '</span>';
    return escapeHtml(decodeEntities(fallback || body));
  }
  const bar = inner.indexOf('|');
  const href = decodeEntities(bar >= 0 ? inner.slice(0, bar) : inner);
  const label = bar >= 0 ? inner.slice(bar + 1) : href;
  if (!/^(https?:|mailto:)/i.test(href)) return escapeHtml(decodeEntities(label));
  return '<a href="' + escapeHtml(href) + '" target="_blank" rel="noopener noreferrer">' + emojify(escapeHtml(decodeEntities(label))) + '</a>';
}
function formatInline(text) {
  const tokens = [];
  let s = text.replace(/<([^<>\n]+)>/g, (m, inner) => {
    tokens.push(renderToken(inner));
    return '\u0001' + (tokens.length - 1) + '\u0002';
  });
  s = escapeHtml(decodeEntities(s));
  s = s.replace(/(^|[^A-Za-z0-9*])\*(\S(?:[^*\n]*?\S)?)\*(?=$|[^A-Za-z0-9*])/g, '$1<b>$2</b>');
  s = s.replace(/(^|[^A-Za-z0-9_])_(\S(?:[^_\n]*?\S)?)_(?=$|[^A-Za-z0-9_])/g, '$1<i>$2</i>');
  s = s.replace(/(^|[^A-Za-z0-9~])~(\S(?:[^~\n]*?\S)?)~(?=$|[^A-Za-z0-9~])/g, '$1<s>$2</s>');
  s = emojify(s);
  return s.replace(/\u0001(\d+)\u0002/g, (m, i) => tokens[Number(i)]);
}
function inlineCode(text) {
  return text
    .split(/(\x60[^\x60\n]+\x60)/)
    .map((seg) => (seg.length > 2 && seg[0] === '\x60' && seg[seg.length - 1] === '\x60' ? '<code>' + escapeHtml(decodeEntities(seg.slice(1, -1))) + '</code>' : formatInline(seg)))
    .join('');
}
function mrkdwn(text) {
  const parts = String(text || '').split('\x60\x60\x60');
  let out = '';
  parts.forEach((part, i) => {
    const isCode = i % 2 === 1 && i < parts.length - 1;
    if (isCode) out += '<pre class="code-block">' + escapeHtml(decodeEntities(part.replace(/^\n/, '').replace(/\n$/, ''))) + '</pre>';
    else out += inlineCode(i % 2 === 1 ? '\x60\x60\x60' + part : part.replace(/^\n/, '').replace(/\n$/, ''));
  });
  return out;
}
function textHtml(obj) {
  if (!obj) return '';
  if (typeof obj === 'string') return mrkdwn(obj);
  if (obj.type === 'plain_text') return obj.emoji === false ? escapeHtml(obj.text) : emojify(escapeHtml(obj.text));
  return mrkdwn(obj.text);
}
function plainText(obj) {
  const div = document.createElement('div');
  div.innerHTML = textHtml(obj);
  return div.textContent;
}

// ---------- Block Kit ----------

function renderBlocks(blocks, ctx) {
  return h('div', { class: 'blocks' }, (blocks || []).map((b) => renderBlock(b, ctx)));
}
function renderBlock(b, ctx) {
  switch (b.type) {
    case 'header':
      return h('div', { class: 'b-header', html: textHtml(b.text) });
    case 'section': {
      const main = h('div', { class: 'b-section-main' });
      if (b.text) main.append(h('div', { class: 'b-text', html: textHtml(b.text) }));
      if (b.fields && b.fields.length) main.append(h('div', { class: 'b-fields' }, b.fields.map((f) => h('div', { class: 'b-field', html: textHtml(f) }))));
      return h('div', { class: 'b-section' }, main, b.accessory ? h('div', { class: 'b-accessory' }, renderElement(b.accessory, b, ctx)) : null);
    }
    case 'context':
      return h('div', { class: 'b-context' }, (b.elements || []).map((e) => (e.type === 'image' ? h('img', { src: e.image_url, alt: e.alt_text || '' }) : h('span', { html: textHtml(e) }))));
    case 'divider':
      return h('hr', { class: 'b-divider' });
    case 'actions':
      return h('div', { class: 'b-actions' }, (b.elements || []).map((e) => renderElement(e, b, ctx)));
    case 'image':
      return h('figure', { class: 'b-image', 'data-testid': 'image-block' }, b.title ? h('figcaption', { html: textHtml(b.title) }) : null, h('img', { src: b.image_url, alt: b.alt_text || '' }));
    default:
      return h('div', { class: 'b-unknown' }, '[' + b.type + ' block]');
  }
}
function renderElement(e, block, ctx) {
  if (e.type === 'button') {
    return h('button', {
      class: 'btn' + (e.style ? ' ' + e.style : ''),
      type: 'button',
      'data-testid': 'block-button',
      'data-action-id': e.action_id,
      'data-value': e.value,
      html: textHtml(e.text),
      onclick: (ev) => clickButton(ev.currentTarget, e, block, ctx),
    });
  }
  if (e.type === 'image') return h('img', { src: e.image_url, alt: e.alt_text || '', style: 'width:72px;height:72px;border-radius:6px' });
  return h('span', { class: 'b-unknown' }, '[' + e.type + ']');
}
function clickButton(el, e, block, ctx) {
  if (e.url) window.open(e.url, '_blank', 'noopener');
  const send = async () => {
    el.disabled = true;
    el.classList.add('busy');
    try {
      await post('/ui/action', { surface: ctx.surface, messageTs: ctx.messageTs, blockId: block.block_id, actionId: e.action_id, value: e.value });
    } finally {
      el.disabled = false;
      el.classList.remove('busy');
    }
  };
  if (e.confirm) openConfirm(e.confirm, send);
  else send();
}
function openConfirm(c, onConfirm) {
  const root = $('#modal-root');
  const close = () => {
    root.replaceChildren();
    document.removeEventListener('keydown', onKey);
  };
  const onKey = (ev) => {
    if (ev.key === 'Escape') close();
  };
  document.addEventListener('keydown', onKey);
  const ok = h('button', { class: 'btn ' + (c.style === 'danger' ? 'danger' : 'primary'), type: 'button', 'data-testid': 'confirm-ok', html: textHtml(c.confirm || { type: 'plain_text', text: 'Yes' }), onclick: () => { close(); onConfirm(); } });
  root.replaceChildren(
    h('div', { class: 'modal-overlay', onclick: (ev) => { if (ev.target === ev.currentTarget) close(); } },
      h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': 'confirm-dialog' },
        h('div', { class: 'modal-title', html: textHtml(c.title || { type: 'plain_text', text: 'Are you sure?' }) }),
        h('div', { class: 'modal-text', html: textHtml(c.text) }),
        h('div', { class: 'modal-actions' },
          h('button', { class: 'btn', type: 'button', 'data-testid': 'confirm-cancel', html: textHtml(c.deny || { type: 'plain_text', text: 'Cancel' }), onclick: close }),
          ok))));
  ok.focus();
}

// ---------- server ----------

async function post(path, body) {
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Object.assign({ user: state.me }, body)) });
    const json = await res.json().catch(() => ({}));
    if (json && json.ok === false && json.error) toast(json.error);
    return json;
  } catch (err) {
    toast('The playground server is not answering: ' + err.message);
    return { ok: false };
  }
}
function toast(text) {
  const t = h('div', { class: 'toast', 'data-testid': 'toast' }, text);
  $('#toast-root').append(t);
  setTimeout(() => t.remove(), 6000);
}
let refreshing = false;
let again = false;
async function refresh() {
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    const res = await fetch('/ui/state?user=' + encodeURIComponent(state.me), { cache: 'no-store' });
    state.data = await res.json();
    worldChanged();
    render();
  } catch (err) {
    // the next event or poll retries
  } finally {
    refreshing = false;
    if (again) { again = false; refresh(); }
  }
}

// ---------- rendering ----------

function fmtTime(ts) {
  const d = new Date(Number(ts) * 1000);
  return String(d.getUTCHours()).padStart(2, '0') + ':' + String(d.getUTCMinutes()).padStart(2, '0');
}
function fmtDate(d) {
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
function fmtDuration(ms) {
  const m = Math.round(ms / 60000);
  if (m < 60) return m + 'm';
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return hrs + 'h' + (m % 60 ? ' ' + (m % 60) + 'm' : '');
  return Math.floor(hrs / 24) + 'd' + (hrs % 24 ? ' ' + (hrs % 24) + 'h' : '');
}
function avatarFor(authorId) {
  const u = userById(authorId);
  if (!u) return h('div', { class: 'avatar bot', title: 'mcp-canary' }, '\ud83d\udc24');
  return h('div', { class: 'avatar', style: 'background:' + (AVATAR_COLORS[u.id] || '#555') }, u.name[0].toUpperCase());
}

function renderUsers() {
  const list = $('#users');
  list.replaceChildren(
    ...state.data.users.map((u) =>
      h('button', { class: 'side-item user-item' + (u.id === state.me ? ' active' : ''), type: 'button', 'data-testid': 'user-' + u.name, title: u.realName + ' (' + u.role + ')', onclick: () => switchUser(u.id) },
        avatarFor(u.id), h('span', {}, u.name), h('span', { class: 'tag' }, u.approver ? 'approver' : 'not approver'))),
  );
  const me = userById(state.me);
  $('#current-user').textContent = me ? me.name : state.me;
  $('#composer-input').placeholder = 'Message #oncall-platform as ' + (me ? me.name : '') + ' \u2014 try /mcp-canary status';
}

function renderMessage(m, inThread) {
  const me = userById(m.author);
  const ctx = { surface: 'message', messageTs: m.ts };
  const body = h('div', { class: 'msg-body' },
    h('div', { class: 'msg-meta' },
      h('span', { class: 'author' }, me ? me.realName : 'mcp-canary'),
      me ? null : h('span', { class: 'app-badge' }, 'APP'),
      h('span', { class: 'time', title: new Date(Number(m.ts) * 1000).toISOString() }, fmtTime(m.ts)),
      m.editedAt ? h('span', { class: 'edited' }, '(edited)') : null),
    m.ephemeralFor ? h('div', { class: 'only-you', 'data-testid': 'only-you' }, '\ud83d\udc41\ufe0f Only visible to you', ' \u00b7 ', h('a', { onclick: () => post('/ui/dismiss', { ts: m.ts }) }, 'Dismiss')) : null,
    m.invokedWith ? h('div', { class: 'invoked', html: '<code>' + escapeHtml(m.invokedWith.command) + '</code> used by ' + renderToken('@' + m.invokedWith.user) }) : null,
    m.blocks && m.blocks.length ? renderBlocks(m.blocks, ctx) : m.text ? h('div', { class: 'msg-text', html: mrkdwn(m.text) }) : null,
    (m.files || []).map((f) =>
      h('div', { class: 'file', 'data-testid': 'file' },
        h('div', { class: 'file-title' }, f.title),
        f.mimetype.startsWith('image/') ? h('a', { href: f.url, target: '_blank', rel: 'noopener' }, h('img', { src: f.url, alt: f.title, 'data-testid': 'file-image' })) : h('a', { href: f.url }, f.name))),
  );
  return h('div', {
    class: 'msg' + (m.ephemeralFor ? ' ephemeral' : '') + (m.system ? ' system' : ''),
    'data-testid': 'message',
    'data-ts': m.ts,
    'data-ephemeral': m.ephemeralFor ? 'true' : 'false',
    'data-thread': inThread ? 'reply' : 'top',
  }, avatarFor(m.author), body);
}

function renderChannel() {
  const list = $('#messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  const msgs = state.data.messages.slice().sort((a, b) => Number(a.ts) - Number(b.ts));
  const byTs = new Set(msgs.map((m) => m.ts));
  const replies = new Map();
  const top = [];
  for (const m of msgs) {
    if (m.threadTs && m.threadTs !== m.ts && byTs.has(m.threadTs)) {
      if (!replies.has(m.threadTs)) replies.set(m.threadTs, []);
      replies.get(m.threadTs).push(m);
    } else top.push(m);
  }
  for (const [ts, list2] of replies) {
    const before = state.knownReplies.get(ts);
    if (state.loaded && (before === undefined || list2.length > before) && !state.closedThreads.has(ts)) state.openThreads.add(ts);
    state.knownReplies.set(ts, list2.length);
  }
  const nodes = [introCard()];
  for (const m of top) {
    const node = renderMessage(m, false);
    const r = replies.get(m.ts);
    if (r && r.length) {
      const open = state.openThreads.has(m.ts);
      const toggle = h('button', { class: 'thread-toggle', type: 'button', 'data-testid': 'thread-toggle', onclick: () => toggleThread(m.ts) },
        h('span', {}, r.length + (r.length === 1 ? ' reply' : ' replies')),
        h('span', { class: 'last' }, open ? 'Hide thread' : 'Last reply ' + fmtTime(r[r.length - 1].ts)));
      const body = node.querySelector('.msg-body');
      body.append(toggle);
      if (open) body.append(h('div', { class: 'thread', 'data-testid': 'thread' }, r.map((x) => renderMessage(x, true))));
    }
    nodes.push(node);
  }
  list.replaceChildren(...nodes);
  if (!state.loaded || state.stick || nearBottom) list.scrollTop = list.scrollHeight;
  state.stick = false;
}
function toggleThread(ts) {
  if (state.openThreads.has(ts)) { state.openThreads.delete(ts); state.closedThreads.add(ts); }
  else { state.openThreads.add(ts); state.closedThreads.delete(ts); }
  renderChannel();
}
function worldNotice() {
  const w = state.data.controls.world;
  const cl = state.data.controls.cluster;
  if (!w) return null;
  const object = w.router === 'gateway-api' ? 'the HTTPRoute <b>' + escapeHtml(cl.name) + '</b>' : 'the canary Ingress <b>' + escapeHtml(cl.name) + '</b>';
  const lines = ['Traffic router: <b>' + escapeHtml(w.router) + '</b>. The bot runs with <code>TRAFFIC_ROUTER=' + escapeHtml(w.router) + '</code> and drives ' + object + '; the simulated gateway reads its traffic split from it.'];
  if (w.restarted) lines.push('Restarted from <b>' + escapeHtml(w.restarted.from) + '</b> at ' + escapeHtml(fmtDate(new Date(w.restarted.at)).slice(11)) + ': a new bot, cluster, gateway, channel and clock.');
  return h('div', { class: 'world-notice', 'data-testid': 'world-notice', html: lines.join('<br>') });
}
function introCard() {
  return h('div', { class: 'intro' },
    h('h2', {}, '\ud83d\udc24 This is the mcp-canary playground'),
    h('div', {}, 'The real bot runs here against a simulated Kubernetes cluster, Prometheus and Alertmanager. This page plays Slack: pick who you are on the left, type commands below, turn the knobs on the right.'),
    h('ol', {},
      h('li', { html: 'As <b>alice</b>: <code>/mcp-canary status</code>, then <code>/mcp-canary promote</code>.' }),
      h('li', { html: 'Try <b>Approve</b> as alice (refused: two-person rule), then switch to <b>bob</b> and approve: the weight goes to 1%.' }),
      h('li', { html: 'Fire <b>MCPRustGatewayErrorRateHigh</b> on the right and press <b>Roll back</b> on the alert. Advance the clock 48 h to pass the hold before the next step.' }),
      h('li', { html: 'Make <b>Rust unhealthy</b>, or lower the <b>shadow match rate</b> and advance the clock 15 min (the Python pods log each mismatch), then <code>/mcp-canary diagnose</code>.' })),
    worldNotice());
}

function renderHome() {
  const root = $('#home-content');
  const view = state.data.home;
  if (!view) {
    root.replaceChildren(h('div', { class: 'home-empty' }, 'Opening the App Home tab\u2026'));
    return;
  }
  root.replaceChildren(renderBlocks(view.blocks, { surface: 'home' }));
}

function setTab(tab) {
  state.tab = tab;
  $('#tab-channel').classList.toggle('active', tab === 'channel');
  $('#tab-home').classList.toggle('active', tab === 'home');
  $('#channel-view').hidden = tab !== 'channel';
  $('#home-view').hidden = tab !== 'home';
  $('#main-title').textContent = tab === 'home' ? 'mcp-canary' : '# oncall-platform';
  $('#main-sub').textContent = tab === 'home' ? 'App Home \u2014 published by the bot with views.publish when you open it' : 'Canary ramp of the MCP Gateway, Python \u2192 Rust \u00b7 members: alice, bob, carol, mallory, mcp-canary';
  if (tab === 'home') openHome();
}
function openHome() {
  state.homeRequestedFor = state.me;
  post('/ui/home', {});
}
function switchUser(id) {
  state.me = id;
  const u = userById(id);
  history.replaceState(null, '', '#user=' + (u ? u.name : id) + (state.tab === 'home' ? '&tab=home' : ''));
  state.stick = true;
  refresh().then(() => { if (state.tab === 'home') openHome(); });
}

// ---------- knobs ----------

const KNOBS = [
  { key: 'errorRate', label: 'Rust error rate', unit: '%', min: 0, max: 5, step: 0.01, toUi: (v) => +(v * 100).toFixed(3), fromUi: (v) => v / 100 },
  { key: 'rustP99', label: 'Rust p99', unit: 'ms', min: 10, max: 2000, step: 5, toUi: (v) => Math.round(v * 1000), fromUi: (v) => v / 1000 },
  { key: 'pythonP99', label: 'Python p99', unit: 'ms', min: 10, max: 2000, step: 5, toUi: (v) => Math.round(v * 1000), fromUi: (v) => v / 1000 },
  { key: 'shadowMatch', label: 'Shadow match rate', unit: '%', min: 98, max: 100, step: 0.01, toUi: (v) => +(v * 100).toFixed(3), fromUi: (v) => v / 100 },
];

function routerCard(c) {
  const w = c.world;
  return h('div', { class: 'card', 'data-testid': 'router-card' },
    h('div', { class: 'seg', role: 'group', 'aria-label': 'Traffic router' },
      w.routers.map((r) => h('button', { class: 'seg-btn', type: 'button', id: 'router-' + r, 'data-testid': 'router-' + r, 'data-router': r, onclick: () => chooseRouter(r) }, r))),
    h('div', { class: 'state-line', id: 'router-state', 'data-testid': 'router-state' }));
}
function chooseRouter(r) {
  const w = state.data.controls.world;
  if (!w || w.switching || r === w.router) return;
  openConfirm({
    title: { type: 'plain_text', text: 'Switch to ' + r + '?' },
    text: { type: 'mrkdwn', text: 'The playground restarts on *' + r + '*: a new bot (TRAFFIC_ROUTER=' + r + '), simulated cluster, gateway, channel and clock. What happened here is gone.' },
    confirm: { type: 'plain_text', text: 'Restart on ' + r },
    deny: { type: 'plain_text', text: 'Cancel' },
  }, async () => {
    toast('Restarting the playground on ' + r + '\u2026');
    const res = await post('/ui/router', { router: r });
    if (res && res.ok) toast('The playground restarted on ' + r + '.');
    refresh();
  });
}
function clusterCard(c) {
  const gw = c.cluster.router === 'gateway-api';
  const buttons = gw
    ? [
        h('button', { class: 'btn small', type: 'button', id: 'reapply', 'data-testid': 'route-reapply', title: 'kubectl edit: the mcp-gateway-rust backendRef back on the split rules, at weight 0', onclick: () => post('/ui/route', { action: 'reapply' }) }, 'Put the Rust backendRef back'),
        h('button', { class: 'btn small', type: 'button', 'data-testid': 'route-kubectl', title: 'Edit the split rules\u2019 weights outside the bot, like kubectl edit: the bot reports the drift', onclick: kubectlEdit }, 'Edit the weights by hand\u2026'),
        h('button', { class: 'btn small', type: 'button', id: 'remove-canary', 'data-testid': 'route-remove', title: 'kubectl edit: delete the mcp-gateway-rust backendRef from the split rules', onclick: removeByHand }, 'Remove the Rust backendRef\u2026'),
      ]
    : [
        h('button', { class: 'btn small', type: 'button', id: 'reapply', 'data-testid': 'ingress-reapply', onclick: () => post('/ui/route', { action: 'reapply' }) }, 'Re-apply canary Ingress'),
        h('button', { class: 'btn small', type: 'button', 'data-testid': 'ingress-kubectl', title: 'Change the weight outside the bot, like kubectl annotate: the bot reports the drift', onclick: kubectlEdit }, 'kubectl annotate\u2026'),
        h('button', { class: 'btn small', type: 'button', id: 'remove-canary', 'data-testid': 'ingress-delete', title: 'kubectl delete the canary Ingress, outside the bot', onclick: removeByHand }, 'kubectl delete\u2026'),
      ];
  return h('div', { class: 'card', 'data-testid': 'cluster-card', 'data-router': c.cluster.router },
    h('div', { class: 'weight-row' }, h('div', { class: 'weight', 'data-testid': 'canary-weight', id: 'canary-weight' }), h('div', { class: 'weight-label', id: 'canary-weight-label' })),
    h('div', { class: 'steps', id: 'canary-steps' }),
    h('div', { class: 'state-line', 'data-testid': 'canary-state', id: 'canary-state' }),
    gw ? h('div', { class: 'rules', 'data-testid': 'route-rules', id: 'route-rules' }) : null,
    gw ? h('dl', { class: 'kv', 'data-testid': 'route-conditions', id: 'route-conditions' }) : null,
    h('dl', { class: 'kv', 'data-testid': 'canary-annotations', id: 'canary-annotations' }),
    h('div', { class: 'state-line', 'data-testid': 'traffic-split', id: 'traffic-split' }),
    h('div', { class: 'state-line', id: 'deployments' }),
    h('div', { class: 'row', style: 'margin-top:8px' }, buttons),
    h('div', { class: 'knob-hint', style: 'margin-top:6px', id: 'cluster-api' }));
}
function rustHealthCard() {
  const modes = [['healthy', 'off'], ['503', '503'], ['hang', 'hangs']];
  return h('div', { class: 'card', 'data-testid': 'rust-health-card' },
    h('div', { class: 'knob-top' }, h('span', { class: 'knob-label' }, 'Rust unhealthy'), h('span', { class: 'badge', id: 'rust-health-badge' })),
    h('div', { class: 'seg', role: 'group', 'aria-label': 'Rust unhealthy', style: 'margin-top:4px' },
      modes.map(([mode, label]) => h('button', { class: 'seg-btn', type: 'button', id: 'rust-health-' + mode, 'data-testid': 'rust-unhealthy-' + (mode === 'healthy' ? 'off' : mode), 'data-mode': mode, onclick: () => post('/ui/rust-health', { mode }) }, label))),
    h('div', { class: 'state-line', 'data-testid': 'rust-health-state', id: 'rust-health-state' }));
}

function buildKnobs() {
  const c = state.data.controls;
  const panel = $('#knobs');
  const knobRows = KNOBS.map((k) => {
    const range = h('input', { type: 'range', min: k.min, max: k.max, step: k.step, 'data-testid': 'knob-range-' + k.key, 'aria-label': k.label });
    const num = h('input', { type: 'number', min: k.min, max: k.max, step: k.step, 'data-testid': 'knob-' + k.key, 'aria-label': k.label });
    range.addEventListener('input', () => { num.value = range.value; });
    const commit = (v) => post('/ui/knobs', { [k.key]: k.fromUi(Number(v)) });
    range.addEventListener('change', () => commit(range.value));
    num.addEventListener('change', () => { range.value = num.value; commit(num.value); });
    return h('div', { class: 'knob', id: 'knob-' + k.key },
      h('div', { class: 'knob-top' }, h('span', { class: 'knob-label' }, k.label), h('span', { class: 'badge', id: 'knob-badge-' + k.key })),
      h('div', { class: 'knob-inputs' }, range, num, h('span', { class: 'knob-unit' }, k.unit)),
      h('div', { class: 'knob-hint', id: 'knob-hint-' + k.key }),
      k.key === 'shadowMatch' ? h('div', { class: 'knob-hint', id: 'shadow-logs', 'data-testid': 'shadow-logs' }) : null);
  });
  const alertRows = c.alerts.map((a) =>
    h('div', { class: 'alert-row', id: 'alert-' + a.name, 'data-testid': 'alert-row-' + a.name },
      h('div', { class: 'alert-info' },
        h('div', { class: 'alert-name' }, a.name),
        h('div', { class: 'alert-meta' }, h('span', { class: 'badge ' + (a.severity === 'critical' ? 'bad' : 'warn') }, a.severity), ' ', a.action, ' \u00b7 ', h('span', { class: 'alert-state', 'data-testid': 'alert-state-' + a.name }))),
      h('button', { class: 'btn small', type: 'button', 'data-testid': 'alert-toggle-' + a.name, onclick: () => toggleAlert(a.name) })));
  panel.replaceChildren(
    h('h3', {}, 'Traffic router'),
    routerCard(c),
    h('h3', {}, 'Simulated cluster'),
    clusterCard(c),
    rustHealthCard(),
    h('h3', {}, 'Simulated gateway (Prometheus)'),
    h('div', { class: 'card' }, knobRows,
      h('div', { class: 'row', style: 'margin-top:10px' }, h('button', { class: 'btn small', type: 'button', 'data-testid': 'knobs-healthy', onclick: () => post('/ui/knobs', DEFAULT_KNOBS) }, 'Reset to healthy'))),
    h('h3', {}, 'Runbook alerts (Alertmanager)'),
    h('div', { class: 'card' }, alertRows, h('div', { class: 'knob-hint', style: 'margin-top:6px' }, 'Fire sends Alertmanager\u2019s webhook to the bot; the alert also shows as active in the Alertmanager API (critical ones make the go/no-go NO-GO).')),
    h('h3', {}, 'Clock'),
    h('div', { class: 'card' },
      h('div', { class: 'clock-now', 'data-testid': 'clock-now', id: 'clock-now' }),
      h('div', { class: 'state-line', 'data-testid': 'clock-offset', id: 'clock-offset' }),
      h('div', { class: 'row', style: 'margin-top:8px' },
        h('button', { class: 'btn small', type: 'button', 'data-testid': 'clock-advance-15m', onclick: () => advance(15 * 60000) }, '+15 min'),
        h('button', { class: 'btn small', type: 'button', 'data-testid': 'clock-advance-1h', onclick: () => advance(3600000) }, '+1 h'),
        h('button', { class: 'btn small', type: 'button', 'data-testid': 'clock-advance-48h', onclick: () => advance(48 * 3600000) }, '+48 h (hold)'))),
  );
  state.knobsBuilt = true;
}
/** A new simulated world (the router was switched): the panel is rebuilt and the page forgets the old channel. */
function worldChanged() {
  const w = state.data && state.data.controls && state.data.controls.world;
  if (!w || w.id === state.worldId) return;
  const first = state.worldId === null;
  state.worldId = w.id;
  if (first) return;
  state.knobsBuilt = false;
  state.openThreads = new Set();
  state.closedThreads = new Set();
  state.knownReplies = new Map();
  state.loaded = false;
  state.stick = true;
  if (state.tab === 'home') openHome();
}
function advance(ms) {
  post('/ui/clock', { advanceMs: ms });
}
function toggleAlert(name) {
  const a = state.data.controls.alerts.find((x) => x.name === name);
  post('/ui/alert', { name, firing: !(a && a.firing) });
}
function kubectlEdit() {
  const cl = state.data.controls.cluster;
  const question = cl.router === 'gateway-api'
    ? 'kubectl edit httproute/' + cl.name + ': weight of ' + rustName() + ' on the split rules (Python gets 100 minus it):'
    : 'kubectl annotate --overwrite ingress/' + cl.name + ' nginx.ingress.kubernetes.io/canary-weight=';
  const value = prompt(question, '3');
  if (value !== null && value.trim() !== '') post('/ui/route', { action: 'weight', percent: Number(value) });
}
function removeByHand() {
  const cl = state.data.controls.cluster;
  const gw = cl.router === 'gateway-api';
  openConfirm({
    title: { type: 'plain_text', text: gw ? 'Remove the Rust backendRef?' : 'Delete the canary Ingress?' },
    text: { type: 'mrkdwn', text: gw
      ? 'As if someone ran `kubectl edit httproute/' + cl.name + '` and deleted the ' + rustName() + ' backendRef of every split rule, outside the bot.'
      : 'As if someone ran `kubectl delete ingress/' + cl.name + '`, outside the bot.' },
    confirm: { type: 'plain_text', text: gw ? 'Remove it' : 'Delete it' },
    style: 'danger',
  }, () => post('/ui/route', { action: 'remove' }));
}
function rustName() {
  const r = state.data.controls.cluster.route;
  const b = r && r.rules.flatMap((x) => x.backends).find((x) => x.role === 'rust');
  return b ? b.name : 'mcp-gateway-rust';
}
const pct = (v) => +(v * 100).toFixed(3) + '%';
function renderRules(route) {
  return route.rules.map((r) =>
    h('div', { class: 'rule', 'data-testid': 'route-rule', 'data-kind': r.kind },
      h('div', { class: 'rule-head' },
        h('b', {}, '#' + (r.index + 1)), ' ',
        h('span', { class: 'badge ' + (r.kind === 'split' ? 'ok' : r.kind === 'routing' ? 'warn' : 'off') }, r.kind === 'split' ? 'split rule' : r.kind === 'routing' ? 'routing rule' : 'rule'),
        r.kind === 'split' ? h('span', { class: 'rule-canary', 'data-testid': 'rule-canary' }, ' canary ' + r.canaryPercent + '%') : null,
        h('span', { class: 'rule-share' }, ' \u00b7 ' + pct(r.share) + ' of requests')),
      h('div', { class: 'rule-matches' }, r.matches.join(' or ')),
      h('div', { class: 'rule-backends' },
        r.backends.length
          ? r.backends.map((b) => h('span', { class: 'backend ' + b.role, 'data-testid': 'route-backend', 'data-role': b.role },
              b.name + (b.port ? ':' + b.port : ''), ' ', h('b', {}, 'weight ' + b.weight), b.weightSet ? '' : ' (unset)'))
          : h('span', { class: 'backend none' }, 'no backendRefs'))));
}
function renderTraffic(t) {
  const parts = t.rules.map((r) => r.label + ': ' + (r.noBackend ? 'no backend (500)' : pct(r.rust) + ' of ' + pct(r.share)));
  return 'Simulated gateway: Rust serves ' + pct(t.rust) + ' of requests, Python ' + pct(t.python) + (parts.length > 1 || t.router === 'gateway-api' ? ' (' + parts.join(' \u00b7 ') + ')' : '') + '.';
}
function updateKnobs() {
  const c = state.data.controls;
  const k = c.knobs;
  const t = c.thresholds;
  for (const def of KNOBS) {
    const row = $('#knob-' + def.key);
    const [range, num] = row.querySelectorAll('input');
    const v = def.toUi(k[def.key]);
    if (document.activeElement !== range && document.activeElement !== num) {
      range.value = String(v);
      num.value = String(v);
    }
  }
  const ratio = k.rustP99 / k.pythonP99;
  const badge = (key, ok, text) => {
    const el = $('#knob-badge-' + key);
    el.className = 'badge ' + (ok ? 'ok' : 'bad');
    el.textContent = text;
  };
  badge('errorRate', k.errorRate < t.errorRateMax, (k.errorRate < t.errorRateMax ? 'GO' : 'NO-GO') + ' < ' + +(t.errorRateMax * 100).toFixed(3) + '%');
  badge('rustP99', ratio < t.p99RatioMax, ratio.toFixed(2) + '\u00d7 Python (< ' + t.p99RatioMax + '\u00d7)');
  badge('pythonP99', ratio < t.p99RatioMax, 'baseline');
  badge('shadowMatch', k.shadowMatch > t.shadowMatchMin, (k.shadowMatch > t.shadowMatchMin ? 'ok' : 'low') + ' > ' + +(t.shadowMatchMin * 100).toFixed(3) + '%');
  $('#knob-hint-errorRate').textContent = 'mcp:rust_gateway_error_rate:5m';
  $('#knob-hint-rustP99').textContent = 'mcp:rust_gateway_p99_latency:5m';
  $('#knob-hint-pythonP99').textContent = 'mcp:python_gateway_p99_latency:5m';
  $('#knob-hint-shadowMatch').textContent = 'shadow match ratio (phase 1 exit: > 99.9% for 7 days)';

  for (const a of c.alerts) {
    const row = $('#alert-' + a.name);
    row.classList.toggle('firing', a.firing);
    row.querySelector('.alert-state').textContent = a.firing ? 'firing since ' + fmtDate(new Date(a.since)).slice(11) : 'inactive';
    const btn = row.querySelector('button');
    btn.textContent = a.firing ? 'Resolve' : 'Fire';
    btn.className = 'btn small' + (a.firing ? '' : a.severity === 'critical' ? ' danger' : '');
    btn.setAttribute('data-testid', (a.firing ? 'alert-resolve-' : 'alert-fire-') + a.name);
  }

  const cl = c.cluster;
  const gw = cl.router === 'gateway-api';
  $('#canary-weight').textContent = cl.exists ? cl.percent + '%' : '0%';
  if (gw) {
    const route = cl.route;
    const split = route.rules.find((r) => r.kind === 'split');
    const rustRef = split && split.backends.find((b) => b.role === 'rust');
    const sum = split ? split.backends.reduce((a, b) => a + b.weight, 0) : 0;
    $('#canary-weight-label').innerHTML = !route.exists
      ? '<b>HTTPRoute absent</b>: the Gateway routes nothing'
      : rustRef
        ? 'of traffic to <b>Rust</b> (split rule #' + (split.index + 1) + ': weight ' + rustRef.weight + ' of ' + sum + ')'
        : '<b>no Rust backendRef</b> on the split rules: all traffic to Python';
  } else {
    $('#canary-weight-label').innerHTML = cl.exists ? 'of traffic to <b>Rust</b> (canary-weight ' + escapeHtml(cl.weight) + (cl.weightTotal !== 100 ? ' / ' + cl.weightTotal : '') + ')' : '<b>canary Ingress absent</b>: all traffic to Python';
  }
  const steps = $('#canary-steps');
  steps.replaceChildren(...c.rampSteps.map((s) => h('span', { class: cl.exists && cl.percent === s ? 'current' : cl.exists && cl.percent > s ? 'done' : '' }, s + '%')));
  if (gw) {
    const route = cl.route;
    const conds = route.conditions.map((x) => h('span', { class: 'badge ' + (x.status === 'True' ? 'ok' : 'bad'), title: x.message || '' }, x.type + (x.status === 'True' ? '' : ': ' + (x.reason || x.status))));
    $('#canary-state').replaceChildren(
      h('span', { class: 'badge ' + (route.exists ? 'ok' : 'bad') }, route.exists ? 'HTTPRoute' : 'HTTPRoute absent'), ' ', ...conds.flatMap((b) => [b, ' ']),
      cl.namespace + '/' + cl.name, route.exists ? ' \u00b7 resourceVersion ' + route.resourceVersion + ' \u00b7 generation ' + route.generation : '',
      route.parents.length ? ' \u00b7 parents ' + route.parents.join(', ') : '');
    $('#route-rules').replaceChildren(...renderRules(route));
    $('#route-conditions').replaceChildren(...route.conditions.flatMap((x) => [
      h('dt', {}, x.type),
      h('dd', {}, x.status + (x.reason ? ' \u00b7 ' + x.reason : '') + ' \u00b7 ' + x.parent + (x.observedGeneration !== undefined ? ' \u00b7 observedGeneration ' + x.observedGeneration : '') + (x.message ? ' \u00b7 ' + x.message : '')),
    ]));
    $('#reapply').disabled = !route.exists || route.missingRust.length === 0;
    $('#remove-canary').disabled = !route.exists || route.rules.filter((r) => r.kind === 'split').length === route.missingRust.length;
  } else {
    $('#canary-state').replaceChildren(
      h('span', { class: 'badge ' + (cl.exists ? 'ok' : 'bad') }, cl.exists ? 'Ingress present' : 'Ingress deleted'),
      ' ', cl.namespace + '/' + cl.name, cl.exists ? ' \u00b7 resourceVersion ' + cl.resourceVersion : '');
    $('#reapply').disabled = cl.exists;
    $('#remove-canary').disabled = !cl.exists;
  }
  const ann = $('#canary-annotations');
  ann.replaceChildren(...Object.entries(cl.annotations || {}).flatMap(([key, v]) => [h('dt', {}, key.replace('nginx.ingress.kubernetes.io/', 'nginx/').replace('mcp-canary.stoa.dev/', 'bot/')), h('dd', {}, v)]));
  $('#traffic-split').textContent = renderTraffic(cl.traffic);
  const d = cl.deployments;
  $('#deployments').innerHTML = 'Rust <b>' + d.rust.ready + '/' + d.rust.replicas + '</b> ready \u00b7 Python <b>' + d.python.ready + '/' + d.python.replicas + '</b> ready \u00b7 shadow mode <b>' + escapeHtml(d.python.shadowMode) + '</b>';
  $('#cluster-api').textContent = 'kubectl --kubeconfig ' + cl.api.kubeconfig + ' -n ' + cl.namespace + (gw ? ' get httproute ' + cl.name + ' -o yaml' : ' get ingress ' + cl.name + ' -o yaml');

  const rh = cl.rustHealth;
  for (const b of document.querySelectorAll('#knobs [data-mode]')) b.classList.toggle('active', b.getAttribute('data-mode') === rh.mode);
  const hb = $('#rust-health-badge');
  hb.className = 'badge ' + (rh.mode === 'healthy' ? 'ok' : 'bad');
  hb.textContent = rh.mode === 'healthy' ? 'healthy' : rh.mode === '503' ? 'health answers 503' : 'health hangs';
  $('#rust-health-state').textContent = 'GET services/' + rustName() + '/proxy' + rh.path + ' \u2192 ' + (rh.mode === 'healthy' ? '200' : rh.mode === '503' ? '503' : 'no answer (times out)') +
    ' \u00b7 EndpointSlice ' + rh.endpoints.ready + '/' + rh.endpoints.total + ' ready' + (rh.mode === 'healthy' ? '' : ' \u00b7 Warning events on deployment/' + rustName() + ' and a pod');

  const w = c.world;
  for (const b of document.querySelectorAll('#knobs [data-router]')) {
    b.classList.toggle('active', b.getAttribute('data-router') === w.router);
    b.disabled = !!w.switching;
  }
  $('#router-state').textContent = w.switching
    ? 'Restarting on ' + w.switching + '\u2026'
    : 'TRAFFIC_ROUTER=' + w.router + ': the bot drives ' + (w.router === 'gateway-api' ? 'the HTTPRoute ' : 'the canary Ingress ') + cl.name + '. Switching restarts the whole playground.';

  const lg = c.logs;
  $('#shadow-logs').textContent = 'Python logs (' + lg.pods + ' pods, last ' + lg.windowMinutes + ' min): ' + lg.mismatches + ' \u201cShadow MISMATCH\u201d lines' + (lg.truncated ? ' (' + lg.truncated + ' cut short)' : '') + ' in ' + lg.lines + ' \u00b7 shadow mode ' + d.python.shadowMode;

  $('#clock-now').textContent = fmtDate(new Date(c.clock.now));
  $('#clock-offset').textContent = c.clock.offsetMs ? 'simulated time is ' + fmtDuration(c.clock.offsetMs) + ' ahead of the real clock' : 'simulated time = real time';
}

function render() {
  if (!state.data) return;
  renderUsers();
  if (!state.knobsBuilt) buildKnobs();
  updateKnobs();
  renderChannel();
  if (state.tab === 'home') renderHome();
  state.loaded = true;
}

// ---------- composer ----------

function send(text) {
  const value = text.trim();
  if (!value) return;
  state.history.push(value);
  state.historyIndex = -1;
  state.stick = true;
  if (state.tab !== 'channel') setTab('channel');
  return post('/ui/command', { text: value });
}
$('#composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $('#composer-input');
  const text = input.value;
  input.value = '';
  send(text);
});
$('#composer-input').addEventListener('keydown', (ev) => {
  const input = ev.currentTarget;
  if (ev.key === 'ArrowUp' && state.history.length && (input.value === '' || state.historyIndex >= 0)) {
    ev.preventDefault();
    state.historyIndex = state.historyIndex < 0 ? state.history.length - 1 : Math.max(0, state.historyIndex - 1);
    input.value = state.history[state.historyIndex];
  } else if (ev.key === 'ArrowDown' && state.historyIndex >= 0) {
    ev.preventDefault();
    state.historyIndex = state.historyIndex + 1 < state.history.length ? state.historyIndex + 1 : -1;
    input.value = state.historyIndex >= 0 ? state.history[state.historyIndex] : '';
  }
});
for (const chip of document.querySelectorAll('[data-chip]')) {
  chip.addEventListener('click', () => {
    const text = chip.getAttribute('data-chip');
    if (text.endsWith(' ')) {
      const input = $('#composer-input');
      input.value = text;
      input.focus();
    } else send(text);
  });
}
$('#tab-channel').addEventListener('click', () => setTab('channel'));
$('#tab-home').addEventListener('click', () => setTab('home'));

const wanted = params.get('user');
const initial = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL', mallory: 'U0MALLORY' }[wanted || ''];
if (initial) state.me = initial;
const events = new EventSource('/ui/events');
events.addEventListener('change', () => refresh());
setInterval(refresh, 5000);
refresh().then(() => setTab(state.tab));
