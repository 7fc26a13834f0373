/**
 * Area-averaging (shrink) and bilinear (enlarge) resampling of single-channel float images:
 * thin strokes fade rather than vanish when a large drawing is scaled down to MNIST's 20×20 box.
 */

/** Resamples a single-channel image, one axis at a time. */
export function resize(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const wx = axisWeights(sw, dw);
  const wy = axisWeights(sh, dh);
  const rows = new Float32Array(dw * sh);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < dw; x++) {
      let v = 0;
      for (let t = wx.from[x] ?? 0; t < (wx.from[x + 1] ?? 0); t++)
        v += (src[y * sw + (wx.index[t] ?? 0)] ?? 0) * (wx.weight[t] ?? 0);
      rows[y * dw + x] = v;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let v = 0;
      for (let t = wy.from[y] ?? 0; t < (wy.from[y + 1] ?? 0); t++)
        v += (rows[(wy.index[t] ?? 0) * dw + x] ?? 0) * (wy.weight[t] ?? 0);
      out[y * dw + x] = v;
    }
  }
  return out;
}

/** Output sample i reads source samples index[from[i]] … index[from[i + 1] - 1] with the matching weights. */
interface AxisWeights {
  from: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/**
 * For each output sample, the source samples it draws on and their weights: the covered area
 * when shrinking (so thin strokes fade instead of vanishing between samples), linear
 * interpolation between the two nearest when enlarging.
 */
function axisWeights(srcLen: number, dstLen: number): AxisWeights {
  const ratio = srcLen / dstLen;
  const from = new Int32Array(dstLen + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < dstLen; i++) {
    if (ratio >= 1) {
      const start = i * ratio;
      const end = start + ratio;
      for (let j = Math.floor(start); j < Math.min(srcLen, Math.ceil(end)); j++) {
        const overlap = Math.min(end, j + 1) - Math.max(start, j);
        if (overlap > 0) {
          index.push(j);
          weight.push(overlap / ratio);
        }
      }
    } else {
      const s = Math.min(srcLen - 1, Math.max(0, (i + 0.5) * ratio - 0.5));
      const j = Math.floor(s);
      const t = s - j;
      index.push(j);
      weight.push(1 - t);
      if (t > 0 && j + 1 < srcLen) {
        index.push(j + 1);
        weight.push(t);
      }
    }
    from[i + 1] = index.length;
  }
  return { from, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}
