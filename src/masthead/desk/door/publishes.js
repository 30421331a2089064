// The last publishes, as they happen: each target's answer, then search, the newsletter
// and the channels as they catch up. Asked again every two seconds while one is running.
(function () {
  var words = JSON.parse(document.documentElement.dataset.words || '{}');
  var runs = document.getElementById('runs');
  var said = document.getElementById('said');
  var BUSY = ['waiting', 'running'];
  var CATCHING_UP = ['updating', 'sending', 'posting'];
  function item(list, text, failed) {
    var li = document.createElement('li'); li.textContent = text;
    if (failed) { li.className = 'failed'; }
    list.appendChild(li);
  }
  function cell(row, text, className) {
    var td = document.createElement('td'); td.textContent = text || '';
    if (className) { td.className = className; }
    row.appendChild(td); return td;
  }
  function show(list) {
    runs.textContent = '';
    var busy = false;
    list.forEach(function (run) {
      var d = run.detail || {};
      var row = document.createElement('tr');
      cell(row, (run.requested || '').replace('T', ' ').slice(0, 16) + ' UTC');
      cell(row, run.reason === 'scheduled' ? words.scheduled : run.reason);
      cell(row, words['p_' + run.state] || run.state, run.state);
      var result = cell(row, '');
      var lines = document.createElement('ul');
      if (d.error) { item(lines, d.error, true); }
      (d.problems || []).forEach(function (p) { item(lines, p, true); });
      (d.targets || []).forEach(function (t) { item(lines, t.said, !t.ok); });
      if (d.build_seconds !== undefined) {
        item(lines, words.built.replace('{seconds}', d.build_seconds)
                               .replace('{pages}', d.pages));
      }
      [['search', d.search], ['newsletter', d.newsletter], ['channels', d.channels]]
        .forEach(function (pair) {
          if (!pair[1]) { return; }
          item(lines, words[pair[0]] + ': ' + pair[1], /^(failed|not updated)/.test(pair[1]));
          if (CATCHING_UP.indexOf(pair[1]) >= 0) { busy = true; }
        });
      if (d.next_scheduled) { item(lines, words.next + ': ' + d.next_scheduled); }
      result.appendChild(lines);
      if (BUSY.indexOf(run.state) >= 0) { busy = true; }
      runs.appendChild(row);
    });
    return busy;
  }
  function look() {
    fetch('/admin/publishes', {credentials: 'same-origin'}).then(function (r) {
      if (r.status !== 200) { said.textContent = words.signed_out; return null; }
      return r.json();
    }).then(function (list) {
      if (list === null) { return; }
      said.textContent = '';
      setTimeout(look, show(list) ? 2000 : 15000);
    }, function () { said.textContent = words.offline; setTimeout(look, 15000); });
  }
  look();
})();
