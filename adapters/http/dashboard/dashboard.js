// The escalation dashboard: logs in with a bearer token kept in sessionStorage, polls
// /api/v1/summary and redraws. Data only ever reaches the page through textContent.
'use strict';

(() => {
  const TOKEN_KEY = 'xyp.token';
  const params = new URLSearchParams(window.location.search);
  const refreshSeconds = Math.max(1, Number(params.get('refresh')) || 5);

  const STATES = {
    applied: '已申请', correction_required: '待补正', accepted: '已受理',
    accepted_deficient: '容缺受理', supplement_overdue: '已催告', approved: '准予许可',
    denied: '不予许可', rejected: '不予受理', withdrawn: '已撤回', terminated: '已终止',
    defaulted: '容缺未补正', revoked: '违诺撤销', verified: '核查履诺',
  };
  const CLOCKS = {
    decision: '办理时限', supplement: '补正期限', correction_notice: '一次性告知',
    verification: '承诺核查',
  };
  const HOOKS = {
    commitment_breached: '承诺失信', deficiency_defaulted: '容缺逾期未补',
    commitment_fulfilled: '承诺履约', facilitation_revoked: '撤销便利',
  };
  const ROLES = { viewer: '查看', clerk: '窗口', supervisor: '主管' };

  const $ = (id) => document.getElementById(id);
  let timer = null;
  let inFlight = false;

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function api(path) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json' },
      cache: 'no-store',
    });
    if (response.status === 401) {
      const error = new Error('unauthorized');
      error.status = 401;
      throw error;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) tr.appendChild(cell instanceof Node ? cell : el('td', cell));
    return tr;
  }

  function caseLink(id) {
    const td = document.createElement('td');
    const a = el('a', id, 'case');
    a.href = '#';
    a.dataset.caseId = id;
    a.addEventListener('click', (event) => {
      event.preventDefault();
      showCase(id);
    });
    td.appendChild(a);
    return td;
  }

  function fill(tbodyId, rows) {
    const body = $(tbodyId);
    body.replaceChildren(...rows);
    const empty = $(`${tbodyId}-empty`);
    if (empty) empty.hidden = rows.length > 0;
  }

  // "2026-11-23T09:30:00+08:00" -> "11-23 09:30"
  function shortTime(text) {
    if (!text) return '—';
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text);
    return m ? `${m[2]}-${m[3]} ${m[4]}:${m[5]}` : text;
  }

  // A due time, with a "暂定" (provisional) badge when it was counted over a year whose holiday
  // notice is not loaded yet: it may move when the notice comes.
  function dueCell(text, provisional) {
    const td = el('td', shortTime(text));
    if (provisional) {
      const badge = el('span', '暂定', 'provisional');
      badge.title = '按法定节假日暂定：该年度放假通知发布后可能调整 (provisional)';
      td.appendChild(badge);
    }
    return td;
  }

  function span(seconds) {
    const s = Math.abs(Math.trunc(seconds));
    const days = Math.floor(s / 86400);
    const hours = Math.floor((s % 86400) / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    if (days > 0) return `${days}天${hours}小时`;
    if (hours > 0) return `${hours}小时${minutes}分`;
    return `${minutes}分`;
  }

  function labelled(label, code) {
    const td = el('td', label);
    if (code && code !== label) td.appendChild(el('span', code, 'code'));
    return td;
  }

  function countRows(counts, labels, testPrefix) {
    const max = Math.max(1, ...Object.values(counts));
    return Object.entries(counts).map(([key, n]) => {
      const count = el('td', n, 'num');
      count.dataset.testid = `${testPrefix}-${key}`;
      const meterCell = el('td', null, 'barcell');
      const meter = el('div', null, 'meter');
      meter.style.width = `${(100 * n) / max}%`;
      meterCell.appendChild(meter);
      return row([labelled(labels ? labels[key] || key : key, labels ? key : null), count, meterCell]);
    });
  }

  function render(s) {
    $('as-of').textContent = s.as_of;
    $('last-updated').textContent = new Date().toLocaleTimeString('zh-CN', { hour12: false });
    $('total-cases').textContent = s.total_cases;
    $('escalations-warning').textContent = s.escalations_open.warning || 0;
    $('escalations-overdue').textContent = s.escalations_open.overdue || 0;
    $('overdue-cases').textContent = s.overdue_cases;
    $('awaiting-count').textContent =
      (s.by_state.accepted_deficient || 0) + (s.by_state.supplement_overdue || 0);

    fill('by-state', countRows(s.by_state, STATES, 'state-count'));
    fill('by-department', countRows(s.by_department, null, 'dept-count'));

    fill('nearing', s.nearing_decision.map((e) => row([
      caseLink(e.case_id), e.department, e.matter_name, dueCell(e.due_at, e.provisional),
      el('td', e.remaining_seconds === undefined ? '—' : span(e.remaining_seconds), 'soon'),
    ])));
    fill('overdue', s.overdue.map((c) => row([
      caseLink(c.case_id), c.department, c.matter_name, CLOCKS[c.clock] || c.clock || '—',
      dueCell(c.due_at, c.provisional),
      el('td', c.late_seconds === null ? '—' : `超期 ${span(c.late_seconds)}`, 'late'),
    ])));
    fill('awaiting', s.awaiting_materials.map((c) => {
      const late = c.remaining_seconds !== null && c.remaining_seconds < 0;
      return row([
        caseLink(c.case_id), STATES[c.state] || c.state, c.department,
        el('td', c.missing.join('、'), 'wrap'), dueCell(c.due_at, c.provisional),
        el('td', c.remaining_seconds === null ? '—'
          : late ? `逾期 ${span(c.remaining_seconds)}` : span(c.remaining_seconds),
        late ? 'late' : 'soon'),
      ]);
    }));
    fill('hooks', s.credit_hooks.map((h) => row([
      shortTime(h.at), caseLink(h.case_id), labelled(HOOKS[h.kind] || h.kind, h.kind),
      el('td', h.detail, 'wrap'),
    ])));
  }

  async function refresh() {
    if (inFlight || !token()) return;
    inFlight = true;
    try {
      render(await api('/api/v1/summary'));
      $('connection').hidden = true;
      document.body.dataset.loaded = 'true';
    } catch (error) {
      if (error.status === 401) {
        logout('令牌无效或已失效，请重新登录。');
      } else {
        $('connection').textContent = `无法获取数据（${error.message}），稍后自动重试。`;
        $('connection').hidden = false;
      }
    } finally {
      inFlight = false;
    }
  }

  async function showCase(id) {
    try {
      const c = await api(`/api/v1/cases/${encodeURIComponent(id)}`);
      $('case-title').textContent = `${c.case_id} · ${STATES[c.state] || c.state}`;
      const facts = [
        ['申请人', `${c.applicant.name}（${c.applicant.contact || '—'}）`],
        ['办理事项', c.matter_name], ['承办部门', c.department], ['办理路径', c.track],
        ['信用', c.credit.known ? c.credit.grade : '未知'],
        ['便利措施', c.privileges.join('、') || '—'], ['缺少材料', c.missing.join('、') || '—'],
      ];
      $('case-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
      fill('case-clocks', c.clocks.map((k) => row([
        CLOCKS[k.clock] || k.kind, dueCell(k.due_at, k.provisional), k.status,
      ])));
      fill('case-history', c.history.map((h) => row([
        shortTime(h.at), h.type, `${STATES[h.from] || h.from || '—'} → ${STATES[h.to] || h.to}`,
      ])));
      $('case-dialog').showModal();
    } catch (error) {
      if (error.status === 401) logout('令牌无效或已失效，请重新登录。');
    }
  }

  function showBoard(who) {
    $('login').hidden = true;
    $('board').hidden = false;
    $('who').hidden = false;
    $('who').textContent = `${who.name} · ${ROLES[who.role] || who.role}`;
    $('logout').hidden = false;
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, refreshSeconds * 1000);
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    clearInterval(timer);
    timer = null;
    $('board').hidden = true;
    $('login').hidden = false;
    $('who').hidden = true;
    $('logout').hidden = true;
    $('login-error').textContent = message || '';
    delete document.body.dataset.loaded;
  }

  async function login(candidate) {
    sessionStorage.setItem(TOKEN_KEY, candidate);
    try {
      showBoard(await api('/api/v1/whoami'));
      $('login-error').textContent = '';
    } catch (error) {
      logout(error.status === 401 ? '令牌无效。' : `登录失败（${error.message}）。`);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token').value.trim();
      $('token').value = '';
      login(value);
    });
    $('logout').addEventListener('click', () => logout(''));
    if (token()) login(token());
  });
})();
