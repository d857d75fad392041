import { qrModules } from './qr-encode';

/** Light modules around the code: the QR standard's minimum. */
const QUIET_ZONE = 4;

/**
 * A QR code as an SVG string, drawn on the server: the enrolment secret never goes to a third-party
 * image service. `qrModules` (./qr-encode.ts) does the encoding; the drawing here is one path of unit
 * squares on a white quiet zone of 4 modules (the QR standard's minimum), with no style attributes
 * (the CSP allows none).
 */
export function qrSvg(text: string, label: string): string {
  const modules = qrModules(text);
  const size = modules.length + 2 * QUIET_ZONE;
  let path = '';
  modules.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) path += `M${x + QUIET_ZONE},${y + QUIET_ZONE}h1v1h-1z`;
    });
  });
  const escapedLabel = label.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" viewBox="0 0 ${size} ${size}" role="img" aria-label="${escapedLabel}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
  );
}
