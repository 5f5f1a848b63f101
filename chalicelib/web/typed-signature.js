// 'Typ uw naam': a typed name drawn in a handwriting font on a canvas, sent as the signature's PNG
// (`method: "typed"`), for people who cannot draw one: keyboard and screen-reader users.
// The font (Dancing Script, vendored by make as base64) is loaded with FontFace from this origin.

const FAMILY = 'Handtekening';
const FALLBACK = '"Segoe Script", "Brush Script MT", "URW Chancery L", cursive';
const WIDTH = 900;   // the PNG's size, the same on every screen
const HEIGHT = 240;
const INK = '#14284b';  // the drawing pad's pen
const RANGES = {  // as @fontsource/dancing-script's own stylesheet splits the font
  latin: 'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD',
  latin_ext: 'U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF',
};
let fontLoading = null;

/** Resolves once the handwriting font can draw (or, if it cannot load, once the fallback will do). */
export function handwritingFont() {
  if (!fontLoading) {
    fontLoading = import('./handwriting-font.js').then(async (font) => {
      const faces = Object.entries(RANGES).filter(([part]) => font[part]).map(([part, range]) => {
        const face = new FontFace(FAMILY, base64Bytes(font[part]), { unicodeRange: range, display: 'block' });
        document.fonts.add(face);
        return face.loaded;
      });
      await Promise.all(faces);
      return true;
    }).catch(() => false);
  }
  return fontLoading;
}

function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/** Draw `name` on `canvas` (sized WIDTH × HEIGHT), as large as fits, on a signing line. */
export function drawTypedName(canvas, name) {
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, WIDTH, HEIGHT);
  const text = name.trim();
  if (!text) return;
  let size = 110;
  const font = (px) => `${px}px "${FAMILY}", ${FALLBACK}`;
  context.font = font(size);
  while (size > 24 && context.measureText(text).width > WIDTH - 60) {
    size -= 4;
    context.font = font(size);
  }
  context.fillStyle = INK;
  context.textAlign = 'center';
  context.textBaseline = 'alphabetic';
  context.fillText(text, WIDTH / 2, HEIGHT * 0.68);
}

/** The canvas as the PNG data URL that the API takes. */
export function typedPng(canvas) {
  return canvas.toDataURL('image/png');
}
