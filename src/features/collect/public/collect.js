// Secure collection form. The link token is read from the URL fragment (never sent in a path), the
// form is encrypted here with WebCrypto — ephemeral ECDH P-256 with the tenant `collect` public key,
// HKDF-SHA256 (salt = ephemeral public key, info = "chatvault-collect-v1|<link id>"), AES-256-GCM with
// the same info as additional data — and only the envelope is sent.
/* global document, location, history, navigator, crypto, fetch, atob, btoa, TextEncoder */
'use strict';

(function () {
  var TEXT = {
    en: {
      send: 'Send securely',
      sending: 'Encrypting…',
      done: 'Thank you. Your details were sent encrypted; you can close this page.',
      gone: 'This link has expired or was already used.',
      failed: 'Could not send. Please try again.',
      lock: 'Encrypted on this device before it is sent.',
    },
    zh: {
      send: '安全发送',
      sending: '正在加密…',
      done: '谢谢！您的信息已加密发送，可以关闭本页面。',
      gone: '此链接已过期或已被使用。',
      failed: '发送失败，请重试。',
      lock: '内容在您的设备上加密后才会发送。',
    },
  };
  var token = decodeURIComponent(location.hash.slice(1));
  var $ = function (id) {
    return document.getElementById(id);
  };
  var enc = new TextEncoder();

  function b64(bytes) {
    var s = '';
    var a = new Uint8Array(bytes);
    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text);
    var a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  function api(path, init) {
    init = init || {};
    init.credentials = 'omit';
    init.headers = Object.assign({ 'x-collect-token': token }, init.headers || {});
    return fetch(path, init);
  }

  async function encrypt(form, values) {
    var serverKey = await crypto.subtle.importKey(
      'spki',
      unb64(form.publicKey),
      { name: 'ECDH', namedCurve: 'P-256' },
      false,
      [],
    );
    var eph = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    var epk = new Uint8Array(await crypto.subtle.exportKey('raw', eph.publicKey));
    var shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: serverKey }, eph.privateKey, 256);
    var info = enc.encode('chatvault-collect-v1|' + form.linkId);
    var hkdfKey = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
    var aesKey = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: epk, info: info },
      hkdfKey,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt'],
    );
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: iv, additionalData: info },
      aesKey,
      enc.encode(JSON.stringify(values)),
    );
    return { v: 1, kv: form.keyVersion, epk: b64(epk), iv: b64(iv), ct: b64(ct) };
  }

  function render(form) {
    var t = TEXT[form.language] || TEXT.en;
    document.documentElement.lang = form.language === 'zh' ? 'zh-CN' : 'en';
    document.title = form.title;
    $('title').textContent = form.title;
    $('purpose').textContent = form.purpose;
    $('lock').textContent = t.lock;
    $('send').textContent = t.send;
    var box = $('fields');
    form.fields.forEach(function (f) {
      var label = document.createElement('label');
      label.htmlFor = 'f-' + f.name;
      label.textContent = f.label;
      var input = document.createElement(f.multiline ? 'textarea' : 'input');
      input.id = 'f-' + f.name;
      input.name = f.name;
      input.maxLength = f.maxLength;
      input.autocomplete = 'off';
      box.appendChild(label);
      box.appendChild(input);
    });
    $('form').hidden = false;
    $('form').addEventListener('submit', async function (event) {
      event.preventDefault();
      var values = {};
      form.fields.forEach(function (f) {
        values[f.name] = $('f-' + f.name).value;
      });
      $('send').disabled = true;
      $('status').textContent = t.sending;
      try {
        var envelope = await encrypt(form, values);
        var res = await api('/collect/submit', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(envelope),
        });
        if (!res.ok) throw new Error(String(res.status));
        $('form').hidden = true;
        $('fields').textContent = '';
        $('status').textContent = t.done;
      } catch {
        $('send').disabled = false;
        $('status').textContent = t.failed;
      }
    });
  }

  async function start() {
    history.replaceState(null, '', location.pathname); // the token leaves the address bar
    var res = await api('/collect/form');
    if (!res.ok) {
      var lang = (navigator.language || '').indexOf('zh') === 0 ? 'zh' : 'en';
      $('status').textContent = TEXT[lang].gone;
      return;
    }
    render(await res.json());
  }
  start();
})();
