(function () {
  var words = JSON.parse(document.documentElement.dataset.words || '{}');
  var said = document.getElementById('said');
  var files = document.getElementById('files');
  var diff = document.getElementById('diff');
  var folders = [];
  function call(method, path) {
    return fetch(path, {method: method, credentials: 'same-origin'})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); });
  }
  function cell(row, text) {
    var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td;
  }
  function button(parent, text, act) {
    var b = document.createElement('button'); b.type = 'button'; b.textContent = text;
    b.addEventListener('click', act); parent.appendChild(b);
  }
  function compare(id) {
    call('GET', '/admin/history/' + id).then(function (answer) {
      if (answer[0] !== 200) { said.textContent = answer[1].error; return; }
      diff.textContent = '';
      answer[1].diff.split('\n').forEach(function (line) {
        var span = document.createElement('span');
        span.className = line[0] === '+' ? 'add' : line[0] === '-' ? 'del' : '';
        span.textContent = line + '\n'; diff.appendChild(span);
      });
      if (!answer[1].diff) { diff.textContent = words.same; }
      diff.hidden = false;
    });
  }
  function restore(id) {
    call('POST', '/admin/history/' + id + '/restore').then(function (answer) {
      said.textContent = answer[0] === 200 ? words.restored : answer[1].error;
    });
  }
  function show(slug) {
    files.textContent = ''; diff.hidden = true; said.textContent = '';
    folders.forEach(function (folder) {
      var path = folder + '/' + slug + '.md';
      call('GET', '/admin/history?path=' + encodeURIComponent(path)).then(function (answer) {
        if (answer[0] !== 200 || !answer[1].revisions.length) { return; }
        var title = document.createElement('h2'); title.textContent = path;
        var table = document.createElement('table');
        answer[1].revisions.forEach(function (revision) {
          var row = document.createElement('tr');
          cell(row, revision.at.replace('T', ' ').slice(0, 16) + ' UTC');
          cell(row, revision.by);
          var actions = cell(row, '');
          button(actions, words.compare, function () { compare(revision.id); });
          button(actions, words.restore, function () { restore(revision.id); });
          table.appendChild(row);
        });
        files.appendChild(title); files.appendChild(table);
      });
    });
  }
  document.getElementById('pick').addEventListener('submit', function (event) {
    event.preventDefault();
    var slug = document.getElementById('story').value.trim();
    history.replaceState(null, '', '#story=' + encodeURIComponent(slug));
    show(slug);
  });
  fetch('/admin/config.json', {credentials: 'same-origin'}).then(function (r) { return r.json(); })
    .then(function (config) {
      var posts = config.collections[0].folder;
      var locales = config.i18n ? config.i18n.locales : [];
      folders = locales.length ? locales.map(function (l) { return posts + '/' + l; }) : [posts];
      var asked = /story=([^&]+)/.exec(location.hash);
      if (asked) {
        document.getElementById('story').value = decodeURIComponent(asked[1]);
        show(decodeURIComponent(asked[1]));
      }
    });
})();
