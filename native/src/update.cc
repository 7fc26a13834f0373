// The optimizers of optimizers.ts (TF.js's formulas and defaults) over one flat vector. Cloned
// for AVX2 and plain x86-64: the image runs on any x86-64, and where AVX2 exists the loop
// runs 8 lanes wide (it touches every parameter each step).
#include <cmath>

#include "mlp.h"

namespace {

// Below this a float32 is subnormal; moments of dead units decay into that range, where every
// load costs a microcode assist, so they are flushed to zero as the JavaScript path does.
constexpr float kTiny = 1e-37f;

__attribute__((target_clones("avx2", "default"))) void adam(float* p, const float* g, float* m, float* v, size_t n,
                                                            float b1, float b2, float rate, float epsHat) {
  const float a1 = 1.f - b1, a2 = 1.f - b2;
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    float mi = b1 * m[i] + a1 * gi;
    mi = std::fabs(mi) < kTiny ? 0.f : mi;
    float vi = b2 * v[i] + a2 * gi * gi;
    vi = vi < kTiny ? 0.f : vi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= rate * mi / (std::sqrt(vi) + epsHat);
  }
}

__attribute__((target_clones("avx2", "default"))) void rmsprop(float* p, const float* g, float* ms, size_t n,
                                                               float lr, float decay, float eps) {
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    float mi = decay * ms[i] + (1.f - decay) * gi * gi;
    mi = mi < kTiny ? 0.f : mi;
    ms[i] = mi;
    p[i] -= lr * gi / std::sqrt(mi + eps);
  }
}

__attribute__((target_clones("avx2", "default"))) void sgd(float* p, const float* g, size_t n, float lr) {
  for (size_t i = 0; i < n; i++) p[i] -= lr * g[i];
}

}  // namespace

void applyUpdate(const OptimizerConfig& c, double t, float* params, const float* grads, float* a, float* b,
                 size_t n) {
  switch (c.kind) {
    case OptimizerKind::Sgd:
      sgd(params, grads, n, static_cast<float>(c.lr));
      break;
    case OptimizerKind::Rmsprop:
      rmsprop(params, grads, a, n, static_cast<float>(c.lr), static_cast<float>(c.decay),
              static_cast<float>(c.epsilon));
      break;
    case OptimizerKind::Adam: {
      // lr·(m/c1)/(√(v/c2)+ε) as rate·m/(√v+ε̂), the constants in double as in optimizers.ts.
      const double c1 = 1 - std::pow(c.beta1, t);
      const double sqrtC2 = std::sqrt(1 - std::pow(c.beta2, t));
      adam(params, grads, a, b, n, static_cast<float>(c.beta1), static_cast<float>(c.beta2),
           static_cast<float>(c.lr * sqrtC2 / c1), static_cast<float>(c.epsilon * sqrtC2));
      break;
    }
  }
}
