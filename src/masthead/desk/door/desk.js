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
        .then(function (config) { window.CMS.init({config: config}); });
    };
    document.body.appendChild(script);
  }
  function askCode(setUp) {
    document.getElementById('sign-in').hidden = true;
    document.getElementById('code').hidden = false;
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
        if (answer[1].second_factor === 'none') { editor(); } else {
          askCode(answer[1].second_factor === 'set up'); }
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
