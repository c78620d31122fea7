// The effect report page: the same token as the escalation dashboard (sessionStorage), a period
// and a department, GET /api/v1/reports/effect as JSON for the table and as CSV for the download.
// Data only ever reaches the page through textContent.
'use strict';

(() => {
  const TOKEN_KEY = 'xyp.token';
  const TRACKS = { standard: '一般程序', deficiency: '容缺受理', commitment: '告知承诺' };
  const ROLES = { viewer: '查看', clerk: '窗口', supervisor: '主管' };
  const $ = (id) => document.getElementById(id);

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function query(format) {
    const params = new URLSearchParams();
    for (const key of ['from', 'to', 'department']) {
      const value = $(key).value.trim();
      if (value) params.set(key, value);
    }
    if (format) params.set('format', format);
    const text = params.toString();
    return `/api/v1/reports/effect${text ? `?${text}` : ''}`;
  }

  async function call(path, accept) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token()}`, Accept: accept },
      cache: 'no-store',
    });
    if (response.status === 401) {
      logout('令牌无效或已失效，请重新登录。');
      throw new Error('unauthorized');
    }
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new Error(detail);
    }
    return response;
  }

  function number(value, digits) {
    if (value === null || value === undefined) return '—';
    return digits === undefined ? String(value) : Number(value).toFixed(digits);
  }

  function cells(r, track, tier) {
    const rate = r.satisfaction.rate === null ? '—' : `${(r.satisfaction.rate * 100).toFixed(1)}%`;
    return [track, tier, number(r.cases), number(r.decided), number(r.average_days, 2),
      number(r.p90_days), number(r.days_saved), number(r.average_days_saved, 2),
      number(r.deficiency_cured), number(r.deficiency_defaulted), number(r.commitments_kept),
      number(r.commitments_breached), number(r.satisfaction.rated), rate];
  }

  function line(values, header) {
    const tr = document.createElement('tr');
    values.forEach((value, i) => {
      const td = document.createElement(header && i === 0 ? 'th' : 'td');
      td.textContent = value;
      if (i >= 2) td.className = 'num';
      tr.appendChild(td);
    });
    return tr;
  }

  async function run() {
    $('report-error').textContent = '';
    document.body.dataset.loaded = 'false';
    try {
      const report = await (await call(query(), 'application/json')).json();
      const rows = report.rows.map((r) => line(cells(r, TRACKS[r.track] || r.track, r.tier || '无')));
      $('rows').replaceChildren(...rows);
      $('rows-empty').hidden = rows.length > 0;
      $('total').replaceChildren(line(cells(report.total, '合计', ''), true));
      document.body.dataset.loaded = 'true';
    } catch (error) {
      if (error.message !== 'unauthorized') $('report-error').textContent = `查询失败：${error.message}`;
    }
  }

  async function download() {
    $('report-error').textContent = '';
    try {
      const blob = await (await call(query('csv'), 'text/csv')).blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `effect${$('from').value ? `-${$('from').value}` : ''}${$('to').value ? `-${$('to').value}` : ''}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 0);
    } catch (error) {
      if (error.message !== 'unauthorized') $('report-error').textContent = `下载失败：${error.message}`;
    }
  }

  function show(who) {
    $('login').hidden = true;
    $('board').hidden = false;
    $('who').textContent = `${who.name}（${ROLES[who.role] || who.role}）`;
    $('who').hidden = false;
    $('logout').hidden = false;
    run();
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('board').hidden = true;
    $('login').hidden = false;
    $('who').hidden = true;
    $('logout').hidden = true;
    $('login-error').textContent = message || '';
  }

  async function login(candidate) {
    sessionStorage.setItem(TOKEN_KEY, candidate);
    try {
      show(await (await call('/api/v1/whoami', 'application/json')).json());
    } catch (error) {
      if (error.message !== 'unauthorized') logout(`登录失败：${error.message}`);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      login($('token').value.trim());
      $('token').value = '';
    });
    $('logout').addEventListener('click', () => logout());
    $('scope').addEventListener('submit', (event) => {
      event.preventDefault();
      run();
    });
    $('download').addEventListener('click', download);
    if (token()) login(token());
  });
})();
