(function () {
  var words = JSON.parse(document.documentElement.dataset.words || '{}');
  var said = document.getElementById('said');
  var roles = ['contributor', 'author', 'editor', 'admin'];
  function call(method, path, body) {
    return fetch(path, {method: method, credentials: 'same-origin',
      headers: body ? {'Content-Type': 'application/json'} : {},
      body: body ? JSON.stringify(body) : undefined})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); });
  }
  function cell(row, text) {
    var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td;
  }
  function change(id, what) {
    call('POST', '/admin/people/' + id, what).then(function (answer) {
      said.textContent = answer[0] === 200 ? words.changed : answer[1].error; load();
    });
  }
  function load() {
    call('GET', '/admin/people').then(function (answer) {
      if (answer[0] !== 200) { said.textContent = answer[1].error; return; }
      var body = document.getElementById('people');
      body.textContent = '';
      answer[1].forEach(function (person) {
        var row = document.createElement('tr');
        cell(row, person.name); cell(row, person.email);
        var select = document.createElement('select');
        select.setAttribute('aria-label', words.role + ': ' + person.name);
        roles.forEach(function (role) {
          var option = document.createElement('option');
          option.value = role; option.textContent = words[role];
          option.selected = role === person.role; select.appendChild(option);
        });
        select.addEventListener('change', function () { change(person.id, {role: select.value}); });
        select.disabled = person.me === true;
        cell(row, '').appendChild(select);
        cell(row, words['state_' + person.state] || person.state);
        var act = document.createElement('button');
        act.type = 'button';
        act.textContent = person.state === 'disabled' ? words.enable : words.disable;
        act.hidden = person.state === 'invited' || person.me === true;
        act.addEventListener('click', function () {
          change(person.id, {state: person.state === 'disabled' ? 'active' : 'disabled'});
        });
        cell(row, '').appendChild(act);
        body.appendChild(row);
      });
    });
  }
  document.getElementById('invite').addEventListener('submit', function (event) {
    event.preventDefault();
    call('POST', '/admin/people', {name: document.getElementById('invite-name').value,
      email: document.getElementById('invite-email').value,
      role: document.getElementById('invite-role').value,
      lang: document.documentElement.lang}).then(function (answer) {
      if (answer[0] !== 201) { said.textContent = answer[1].error; return; }
      said.textContent = answer[1].mailed ? words.mailed :
        words.not_mailed + ' ' + answer[1].problem + ' ' + answer[1].link;
      document.getElementById('invite').reset();
      load();
    });
  });
  load();
})();
