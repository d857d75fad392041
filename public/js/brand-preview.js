/*
 * Live preview for Settings → Branding (views/pages/settings/branding.tsx).
 *
 * Loaded with <script src defer>: the CSP allows only self-hosted scripts and no inline style
 * attributes, so colours reach the preview as CSS custom properties set through the CSSOM
 * (element.style.setProperty, which the CSP permits), and a chosen logo is shown from a blob:
 * object URL (img-src allows blob:) before anything is uploaded. The server checks the file
 * again from its bytes; this only gives early feedback.
 */
(function () {
  'use strict';

  var preview = document.getElementById('brand-preview');
  var form = document.getElementById('branding-form');
  if (!preview || !form) return;

  var HEX = /^#[0-9a-fA-F]{6}$/;
  var MIN_PIXELS = 200;
  var MAX_PIXELS = 4096;
  var MAX_BYTES = 2 * 1024 * 1024;

  var logoInput = form.querySelector('input[name="logo"]');
  var sloganInput = form.querySelector('input[name="slogan"]');
  var primaryInput = form.querySelector('input[name="primary_color"]');
  var accentInput = form.querySelector('input[name="accent_color"]');
  var logoImg = document.getElementById('brand-preview-logo');
  var initial = document.getElementById('brand-preview-initial');
  var slogan = document.getElementById('brand-preview-slogan');
  var warning = document.getElementById('brand-preview-warning');
  var savedLogo = preview.getAttribute('data-saved-logo') || '';
  var objectUrl = null;

  function colour(input, fallback) {
    var value = input ? input.value : '';
    return HEX.test(value) ? value.toLowerCase() : fallback;
  }

  // The same rules as src/lib/color.ts (WCAG luminance and contrast); keep the two in step.
  function luminance(hex) {
    function channel(i) {
      var v = parseInt(hex.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  }
  function contrast(a, b) {
    var la = luminance(a);
    var lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  /** Black or white text, whichever contrasts more with the colour. */
  function readableOn(hex) {
    return contrast(hex, '#000000') >= contrast(hex, '#ffffff') ? '#000000' : '#ffffff';
  }
  /** The accent darkened until it reads at 4.5:1 on white (links). */
  function readableAccent(hex) {
    if (contrast(hex, '#ffffff') >= 4.5) return hex;
    var rgb = [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
    for (var step = 1; step <= 20; step += 1) {
      var factor = 1 - step * 0.05;
      var candidate = '#' + rgb.map(function (c) { var h = Math.round(Math.min(255, Math.max(0, c * factor))).toString(16); return h.length < 2 ? '0' + h : h; }).join('');
      if (contrast(candidate, '#ffffff') >= 4.5) return candidate;
    }
    return '#000000';
  }
  var contrastBox = document.getElementById('brand-contrast-warnings');
  function contrastWarnings(primary, accent) {
    var out = [];
    var a = contrast(accent, '#ffffff');
    if (a < 4.5) out.push('The accent colour ' + accent + ' has a contrast of ' + a.toFixed(1) + ':1 on white, below the 4.5:1 that readable text needs (WCAG AA). Links in your portal use a darker shade, ' + readableAccent(accent) + ', instead.');
    var p = contrast(primary, '#f5f6f8');
    if (p < 3) out.push('The primary colour ' + primary + ' has a contrast of ' + p.toFixed(1) + ':1 against the page, below 3:1: the portal header and buttons will be hard to see. Text on them stays readable (it is chosen automatically).');
    if (!contrastBox) return;
    while (contrastBox.firstChild) contrastBox.removeChild(contrastBox.firstChild);
    out.forEach(function (text) {
      var p2 = document.createElement('p');
      p2.className = 'alert alert-warning';
      p2.textContent = text;
      contrastBox.appendChild(p2);
    });
  }

  function showValue(name, value) {
    var output = document.querySelector('[data-color-value="' + name + '"]');
    if (output) output.textContent = value;
  }

  function applyColours() {
    var primary = colour(primaryInput, preview.getAttribute('data-default-primary'));
    var accent = colour(accentInput, preview.getAttribute('data-default-accent'));
    preview.style.setProperty('--brand-primary', primary);
    preview.style.setProperty('--brand-primary-text', readableOn(primary));
    preview.style.setProperty('--brand-accent', readableAccent(accent));
    contrastWarnings(primary, accent);
    showValue('primary_color', primary);
    showValue('accent_color', accent);
  }

  function applySlogan() {
    if (!slogan || !sloganInput) return;
    var text = sloganInput.value.trim();
    slogan.textContent = text; // text, never markup
    slogan.hidden = text === '';
  }

  function warn(message) {
    if (!warning) return;
    warning.textContent = message || '';
    warning.hidden = !message;
  }

  function showLogo(src) {
    if (src) {
      logoImg.src = src;
      logoImg.hidden = false;
      initial.hidden = true;
    } else {
      logoImg.removeAttribute('src');
      logoImg.hidden = true;
      initial.hidden = false;
    }
  }

  function applyLogo() {
    if (objectUrl) {
      URL.revokeObjectURL(objectUrl);
      objectUrl = null;
    }
    warn('');
    var file = logoInput && logoInput.files && logoInput.files[0];
    if (!file) {
      showLogo(savedLogo);
      return;
    }
    if (file.size > MAX_BYTES) warn('This file is larger than 2 MB; it will be refused.');
    objectUrl = URL.createObjectURL(file);
    showLogo(objectUrl);
  }

  logoImg.addEventListener('load', function () {
    if (!objectUrl || logoImg.src !== objectUrl) return;
    var w = logoImg.naturalWidth;
    var h = logoImg.naturalHeight;
    if (w !== h) warn('This image is ' + w + '×' + h + ' pixels; the logo must be square.');
    else if (w < MIN_PIXELS) warn('This image is ' + w + '×' + h + ' pixels; use at least 200×200.');
    else if (w > MAX_PIXELS) warn('This image is ' + w + '×' + h + ' pixels; use at most 4096×4096.');
  });
  logoImg.addEventListener('error', function () {
    if (!objectUrl) return;
    showLogo('');
    warn('This file is not an image the browser can show; use PNG, JPEG or WebP.');
  });

  form.addEventListener('input', function (event) {
    if (event.target === sloganInput) applySlogan();
    else if (event.target === primaryInput || event.target === accentInput) applyColours();
  });
  form.addEventListener('change', function (event) {
    if (event.target === logoInput) applyLogo();
    else if (event.target === primaryInput || event.target === accentInput) applyColours();
  });
  window.addEventListener('pagehide', function () {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  });

  preview.classList.add('is-live');
  applyColours();
  applySlogan();
  applyLogo();
})();
