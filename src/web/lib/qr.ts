// The recipient link as a QR code, drawn in this browser (no image service ever sees the link). The SVG is built
// with DOM calls only: no markup string is parsed, which keeps Trusted Types happy and leaves nothing to inject.
import { encode } from "uqr";

const SVG_NS = "http://www.w3.org/2000/svg";
/** The quiet zone the QR specification asks for around the symbol, in modules. */
const QUIET_ZONE = 4;

/**
 * Draws `text` as a QR code (error correction M: survives a smudged screen) in an `<svg role="img">` labelled with
 * `label`. Always dark on white, in both colour schemes, because phone scanners expect that.
 * @example container.replaceChildren(qrCodeSvg(link, t("create.result.qr.label")))
 */
export function qrCodeSvg(text: string, label: string): SVGSVGElement {
  const { data, size } = encode(text, { ecc: "M", border: 0 });
  const total = size + QUIET_ZONE * 2;
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${total} ${total}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG_NS, "rect");
  background.setAttribute("width", String(total));
  background.setAttribute("height", String(total));
  background.setAttribute("fill", "#ffffff");
  // One path of horizontal runs: a few hundred bytes instead of one element per module.
  const runs: string[] = [];
  data.forEach((row, y) => {
    let x = 0;
    while (x < size) {
      if (!row[x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < size && row[x]) x++;
      runs.push(`M${start + QUIET_ZONE} ${y + QUIET_ZONE}h${x - start}v1h-${x - start}z`);
    }
  });
  const modules = document.createElementNS(SVG_NS, "path");
  modules.setAttribute("d", runs.join(""));
  modules.setAttribute("fill", "#000000");
  svg.append(background, modules);
  return svg;
}
