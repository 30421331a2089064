(function () {
  var said = document.getElementById('said');
  function call(method, path, body) {
    return fetch(path, {method: method, credentials: 'same-origin',
      headers: body ? {'Content-Type': 'application/json'} : {},
      body: body ? JSON.stringify(body) : undefined});
  }
  function editor() {
    document.getElementById('door').remove();
    window.CMS_MANUAL_INIT = true;
    var script = document.createElement('script');
    script.src = '/admin/editor/decap-cms.js';
    script.onload = function () {
      call('GET', '/admin/config.json').then(function (r) { return r.json(); })
        .then(function (config) {
          preview(window.CMS);
          window.CMS.init({config: config});
          historyLink(config.locale);
        });
    };
    document.body.appendChild(script);
  }
  // The preview looks like the site: its own style sheet, and a story laid out as the
  // story page lays it out (kicker, title, standfirst, byline, picture, text).
  function preview(CMS) {
    var h = window.h;
    CMS.registerPreviewStyle('/admin/preview.css');
    CMS.registerPreviewTemplate('posts', window.createClass({render: function () {
      var entry = this.props.entry, data = function (key) { return entry.getIn(['data', key]); };
      var image = data('image') ? this.props.getAsset(data('image')) : null;
      var date = data('date') ? new Date(data('date')).toLocaleDateString() : '';
      return h('article', {className: 'article'},
        h('header', {className: 'article-header'},
          data('category') ? h('span', {className: 'kicker'}, data('category')) : null,
          h('h1', {className: 'article-title'}, data('title')),
          data('description') ? h('p', {className: 'standfirst'}, data('description')) : null,
          h('p', {className: 'meta'}, [data('author'), date].filter(Boolean).join(' · '))),
        image ? h('figure', {className: 'hero'}, h('img', {src: image.toString(), alt: ''})) : null,
        h('div', {className: 'prose'}, this.props.widgetFor('body')));
    }}));
  }
  // A story's history (every save, by whom; compare, restore) on a page of its own.
  function historyLink(locale) {
    var link = document.createElement('a');
    link.id = 'desk-history';
    link.textContent = locale === 'ru' ? 'История правок' : 'History';
    link.href = '/admin/history.html';
    link.addEventListener('click', function () {
      var open = /entries\/([^/?#]+)/.exec(location.hash);
      link.href = '/admin/history.html' + (open ? '#story=' + open[1] : '');
    });
    document.body.appendChild(link);
    var runs = document.createElement('a');  // what the publishes did, as they happen
    runs.id = 'desk-publishes';
    runs.textContent = locale === 'ru' ? 'Публикации' : 'Publishing';
    runs.href = '/admin/publishes.html';
    document.body.appendChild(runs);
    call('GET', '/admin/session').then(function (r) { return r.json(); }).then(function (me) {
      if (me.role !== 'admin') { return; }
      var people = document.createElement('a');
      people.id = 'desk-people';
      people.textContent = locale === 'ru' ? 'Сотрудники' : 'People';
      people.href = '/admin/people.html';
      document.body.appendChild(people);
    });
  }
  function askCode(setUp, optional) {
    document.getElementById('sign-in').hidden = true;
    document.getElementById('code').hidden = false;
    document.getElementById('later').hidden = !optional;
    if (setUp) {
      document.getElementById('setup').hidden = false;
      call('POST', '/admin/second-factor/new').then(function (r) { return r.json(); })
        .then(function (made) {
          var link = document.getElementById('otpauth');
          link.href = made.otpauth; link.hidden = false; link.dataset.uri = made.otpauth;
        });
    }
  }
  document.getElementById('sign-in').addEventListener('submit', function (event) {
    event.preventDefault();
    call('POST', '/admin/session', {email: document.getElementById('email').value,
                                    password: document.getElementById('password').value})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (answer) {
        if (answer[0] !== 200) { said.textContent = answer[1].error; return; }
        var second = answer[1].second_factor;
        if (second === 'needed') { askCode(false); } else { askCode(true, second === 'offered'); }
      });
  });
  document.getElementById('code').addEventListener('submit', function (event) {
    event.preventDefault();
    call('POST', '/admin/second-factor', {code: document.getElementById('totp').value})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (answer) {
        if (answer[0] === 200) { editor(); } else { said.textContent = answer[1].error; }
      });
  });
  document.getElementById('later').addEventListener('click', function () { editor(); });
  var invited = /[#&]invitation=([A-Za-z0-9_-]+)/.exec(location.hash);
  document.getElementById('welcome').addEventListener('submit', function (event) {
    event.preventDefault();
    call('POST', '/admin/invitation', {token: invited[1],
                                       password: document.getElementById('new-password').value})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (answer) {
        if (answer[0] !== 200) { said.textContent = answer[1].error; return; }
        history.replaceState(null, '', location.pathname);
        document.getElementById('welcome').hidden = true;
        document.getElementById('sign-in').hidden = false;
        said.textContent = document.getElementById('welcome').dataset.saved;
      });
  });
  if (invited) {
    document.getElementById('sign-in').hidden = true;
    document.getElementById('welcome').hidden = false;
    document.getElementById('door').hidden = false;
    return;
  }
  call('GET', '/admin/session').then(function (r) { return r.json().then(function (b) {
    if (r.status === 200 && b.ready) { editor(); } else {
      document.getElementById('door').hidden = false; }
  }); });
})();
