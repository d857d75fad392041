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

  /** Black or white text, whichever reads better on the colour (WCAG relative luminance). */
  function readableOn(hex) {
    function channel(i) {
      var v = parseInt(hex.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }
    var luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    return luminance > 0.4 ? '#111111' : '#ffffff';
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
    preview.style.setProperty('--brand-accent', accent);
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
