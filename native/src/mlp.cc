#include "mlp.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace {

// (pixel/255 − 0.5)/0.5 computed in double and stored as float, exactly like network.ts's table.
struct Normalise {
  float v[256];
  Normalise() {
    for (int i = 0; i < 256; i++) v[i] = static_cast<float>((i / 255.0 - 0.5) / 0.5);
  }
};
const Normalise kNormalise;

void activate(float* h, size_t n, Activation act) {
  switch (act) {
    case Activation::Relu:
      for (size_t i = 0; i < n; i++) h[i] = h[i] > 0.f ? h[i] : 0.f;
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < n; i++) h[i] = std::tanh(h[i]);
      break;
    case Activation::Sigmoid:
      for (size_t i = 0; i < n; i++) h[i] = 1.f / (1.f + std::exp(-h[i]));
      break;
    case Activation::Elu:
      for (size_t i = 0; i < n; i++) h[i] = h[i] > 0.f ? h[i] : std::expm1(h[i]);
      break;
  }
}

// delta *= f'(z), written in terms of the activation's output h (as backprop.ts does).
void timesDerivative(float* delta, const float* h, size_t n, Activation act) {
  switch (act) {
    case Activation::Relu:
      for (size_t i = 0; i < n; i++) delta[i] = h[i] > 0.f ? delta[i] : 0.f;
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < n; i++) delta[i] *= 1.f - h[i] * h[i];
      break;
    case Activation::Sigmoid:
      for (size_t i = 0; i < n; i++) delta[i] *= h[i] * (1.f - h[i]);
      break;
    case Activation::Elu:
      for (size_t i = 0; i < n; i++) delta[i] *= h[i] > 0.f ? 1.f : h[i] + 1.f;
      break;
  }
}

}  // namespace

Mlp::Mlp(std::vector<int> sizes, Activation act, float* params, float* grads)
    : sizes_(std::move(sizes)), act_(act), params_(params), grads_(grads) {
  for (size_t l = 0; l + 1 < sizes_.size(); l++) {
    offsets_.push_back(count_);
    count_ += static_cast<size_t>(sizes_[l]) * sizes_[l + 1] + sizes_[l + 1];
  }
  outs_.resize(sizes_.size() - 1);
}

void Mlp::reserve(int n) {
  reserveOutputs(n);
  if (n <= capacity_) return;
  capacity_ = n;
  input_.resize(static_cast<size_t>(n) * sizes_[0]);
  labels_.resize(n);
  int widest = 0;
  for (size_t l = 0; l < outs_.size(); l++) widest = std::max(widest, sizes_[l + 1]);
  delta_.resize(static_cast<size_t>(n) * widest);
  deltaPrev_.resize(static_cast<size_t>(n) * widest);
}

// What a forward pass alone needs: each layer's output (an MLP that only infers keeps no more).
void Mlp::reserveOutputs(int n) {
  if (n <= outCapacity_) return;
  outCapacity_ = n;
  for (size_t l = 0; l < outs_.size(); l++) outs_[l].resize(static_cast<size_t>(n) * sizes_[l + 1]);
}

void Mlp::gather(const uint8_t* images, const uint8_t* labels, const uint32_t* rows, int from, int n) {
  reserve(n);
  const size_t width = sizes_[0];
  for (int b = 0; b < n; b++) {
    const uint32_t row = rows[from + b];
    const uint8_t* src = images + static_cast<size_t>(row) * width;
    float* dst = input_.data() + b * width;
    for (size_t p = 0; p < width; p++) dst[p] = kNormalise.v[src[p]];
    labels_[b] = labels[row];
  }
}

const float* Mlp::forward(const float* x, int n) {
  reserveOutputs(n);
  const float* h = x;
  const size_t last = outs_.size() - 1;
  for (size_t l = 0; l < outs_.size(); l++) {
    const int fanIn = sizes_[l], units = sizes_[l + 1];
    const float* kernel = params_ + offsets_[l];
    const float* bias = kernel + static_cast<size_t>(fanIn) * units;
    float* z = outs_[l].data();
    // The bias goes in first and the product is added to it (beta = 1): no second pass.
    for (int b = 0; b < n; b++) std::memcpy(z + static_cast<size_t>(b) * units, bias, units * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, units, fanIn, 1.f, h, fanIn, kernel, units, 1.f, z,
                units);
    if (l != last) activate(z, static_cast<size_t>(n) * units, act_);
    h = z;
  }
  return h;
}

void Mlp::lossAndDelta(int n, const int32_t* labels, double* stats, int32_t* predicted, bool wantDelta) {
  const int classes = sizes_.back();
  const float* logits = outs_.back().data();
  float* delta = delta_.data();
  double lossSum = 0;
  int correct = 0;
  for (int b = 0; b < n; b++) {
    const float* z = logits + static_cast<size_t>(b) * classes;
    int best = 0;
    for (int k = 1; k < classes; k++)
      if (z[k] > z[best]) best = k;
    // log-sum-exp shifted by the largest logit, in double: the loss is summed over 60,000 rows.
    double sum = 0;
    for (int k = 0; k < classes; k++) sum += std::exp(static_cast<double>(z[k]) - z[best]);
    const double logSum = z[best] + std::log(sum);
    const int y = labels[b];
    lossSum += logSum - z[y];
    correct += best == y;
    if (predicted) predicted[b] = best;
    if (wantDelta) {
      // d(mean loss)/d(logits) = (softmax − one-hot) / n
      float* d = delta + static_cast<size_t>(b) * classes;
      for (int k = 0; k < classes; k++)
        d[k] = static_cast<float>((std::exp(z[k] - logSum) - (k == y ? 1.0 : 0.0)) / n);
    }
  }
  stats[0] += lossSum;
  stats[1] += correct;
}

void Mlp::lossAndGrads(const float* x, const int32_t* labels, int n, double* stats) {
  reserve(n);  // the error signals too, not only what forward() needs
  forward(x, n);
  lossAndDelta(n, labels, stats, nullptr, true);
  for (int l = static_cast<int>(outs_.size()) - 1; l >= 0; l--) {
    const int fanIn = sizes_[l], units = sizes_[l + 1];
    const float* input = l == 0 ? x : outs_[l - 1].data();
    float* gKernel = grads_ + offsets_[l];
    float* gBias = gKernel + static_cast<size_t>(fanIn) * units;
    // dW = inputᵀ · delta; the transpose is a flag to BLAS, never a copy.
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fanIn, units, n, 1.f, input, fanIn, delta_.data(), units,
                0.f, gKernel, units);
    std::fill(gBias, gBias + units, 0.f);
    for (int b = 0; b < n; b++) {
      const float* d = delta_.data() + static_cast<size_t>(b) * units;
      for (int u = 0; u < units; u++) gBias[u] += d[u];
    }
    if (l == 0) break;  // the input needs no gradient
    const float* kernel = params_ + offsets_[l];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, fanIn, units, 1.f, delta_.data(), units, kernel, units,
                0.f, deltaPrev_.data(), fanIn);
    timesDerivative(deltaPrev_.data(), outs_[l - 1].data(), static_cast<size_t>(n) * fanIn, act_);
    std::swap(delta_, deltaPrev_);
  }
}

void Mlp::gatherLossAndGrads(const uint8_t* images, const uint8_t* labels, const uint32_t* order, int from, int n,
                             double* stats) {
  gather(images, labels, order, from, n);
  lossAndGrads(input_.data(), labels_.data(), n, stats);
}

void Mlp::evaluate(const uint8_t* images, const uint8_t* labels, const uint32_t* rows, int from, int n,
                   double* stats, int32_t* predicted) {
  gather(images, labels, rows, from, n);
  forward(input_.data(), n);
  lossAndDelta(n, labels_.data(), stats, predicted, false);
}

const float* Mlp::logits(const float* x, int n) { return forward(x, n); }

void softmaxRows(const float* logits, int n, int classes, float* out) {
  for (int b = 0; b < n; b++) {
    const float* z = logits + static_cast<size_t>(b) * classes;
    float* p = out + static_cast<size_t>(b) * classes;
    float top = z[0];
    for (int k = 1; k < classes; k++) top = std::max(top, z[k]);
    double sum = 0;
    for (int k = 0; k < classes; k++) sum += std::exp(static_cast<double>(z[k]) - top);
    for (int k = 0; k < classes; k++) p[k] = static_cast<float>(std::exp(static_cast<double>(z[k]) - top) / sum);
  }
}
