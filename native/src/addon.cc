// N-API glue: checks the arguments JavaScript passes (typed arrays it owns, sizes) and calls
// into mlp.cc / update.cc / OpenBLAS. No buffer is copied: the addon works in JS's memory.
#include <napi.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#include <memory>
#include <string>
#include <vector>

#include <cblas.h>

#include "mlp.h"

// OpenBLAS's own entry points (its cblas.h declares them too; another BLAS's header would not).
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
}

namespace {

// Subnormal floats make every operation on them ~100× slower; flush them while we compute and
// restore the caller's mode after, so JavaScript's own arithmetic keeps IEEE semantics.
class FlushSubnormals {
 public:
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushSubnormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
};

template <typename T>
T* data(const Napi::Value& v, napi_typedarray_type type, size_t minLength, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " has the wrong type");
  auto array = v.As<Napi::TypedArrayOf<T>>();
  if (array.ElementLength() < minLength) throw Napi::RangeError::New(v.Env(), std::string(what) + " is too short");
  return array.Data();
}

int integer(const Napi::Value& v, int min, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  const int i = v.As<Napi::Number>().Int32Value();
  if (i < min) throw Napi::RangeError::New(v.Env(), std::string(what) + " is out of range");
  return i;
}

// Adam keeps two moment buffers, RMSprop one, SGD none.
uint32_t momentsNeeded(OptimizerKind kind) {
  return kind == OptimizerKind::Adam ? 2 : kind == OptimizerKind::Rmsprop ? 1 : 0;
}

OptimizerConfig optimizerConfig(const Napi::Object& o) {
  auto num = [&](const char* key) { return o.Get(key).As<Napi::Number>().DoubleValue(); };
  const int kind = integer(o.Get("kind"), 0, "optimizer kind");
  if (kind > 2) throw Napi::RangeError::New(o.Env(), "unknown optimizer kind");
  return {static_cast<OptimizerKind>(kind),
          num("lr"),
          num("beta1"),
          num("beta2"),
          num("epsilon"),
          num("decay")};
}

class MlpWrap : public Napi::ObjectWrap<MlpWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Mlp",
                       {InstanceMethod("lossAndGrads", &MlpWrap::LossAndGrads),
                        InstanceMethod("trainStep", &MlpWrap::TrainStep),
                        InstanceMethod("evaluate", &MlpWrap::Evaluate),
                        InstanceMethod("infer", &MlpWrap::Infer),
                        InstanceMethod("dispose", &MlpWrap::Dispose)});
  }

  // new Mlp(sizes, activation, params, grads, optimizer, buffers)
  explicit MlpWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpWrap>(info) {
    auto env = info.Env();
    auto list = info[0].As<Napi::Array>();
    std::vector<int> sizes;
    for (uint32_t i = 0; i < list.Length(); i++) sizes.push_back(integer(list.Get(i), 1, "layer size"));
    if (sizes.size() < 2) throw Napi::RangeError::New(env, "an MLP needs at least two layer sizes");
    size_t count = 0;
    for (size_t l = 0; l + 1 < sizes.size(); l++) count += static_cast<size_t>(sizes[l]) * sizes[l + 1] + sizes[l + 1];
    params_ = data<float>(info[2], napi_float32_array, count, "params");
    // null grads: an MLP that only infers (a served model needs no gradient memory).
    const bool inferOnly = info[3].IsNull();
    grads_ = inferOnly ? nullptr : data<float>(info[3], napi_float32_array, count, "grads");
    optimizer_ = optimizerConfig(info[4].As<Napi::Object>());
    auto buffers = info[5].As<Napi::Array>();
    if (buffers.Length() < momentsNeeded(optimizer_.kind))
      throw Napi::RangeError::New(env, "missing optimizer buffers");
    for (uint32_t i = 0; i < momentsNeeded(optimizer_.kind); i++) {
      moments_[i] = data<float>(buffers.Get(i), napi_float32_array, count, "optimizer buffer");
      keep_.push_back(Napi::Persistent(buffers.Get(i).As<Napi::Object>()));
    }
    // The arrays stay referenced as long as this object lives: their memory cannot go away.
    keep_.push_back(Napi::Persistent(info[2].As<Napi::Object>()));
    if (!inferOnly) keep_.push_back(Napi::Persistent(info[3].As<Napi::Object>()));
    width_ = sizes[0];
    classes_ = sizes.back();
    const int activation = integer(info[1], 0, "activation");
    if (activation > 3) throw Napi::RangeError::New(env, "unknown activation");
    mlp_ = std::make_unique<Mlp>(sizes, static_cast<Activation>(activation), params_, grads_);
  }

 private:
  // dispose(): frees the scratch memory now rather than whenever the GC collects this object.
  void Dispose(const Napi::CallbackInfo&) {
    mlp_.reset();
    keep_.clear();
  }

  Mlp& live(const Napi::CallbackInfo& info) {
    if (!mlp_) throw Napi::Error::New(info.Env(), "this Mlp was disposed");
    return *mlp_;
  }

  Mlp& trainable(const Napi::CallbackInfo& info) {
    if (!grads_) throw Napi::Error::New(info.Env(), "this Mlp only infers: it has no gradients");
    return live(info);
  }

  // infer(x: Float32Array [n, width], n, out: Float32Array [n, classes]): softmax probabilities.
  void Infer(const Napi::CallbackInfo& info) {
    const int n = integer(info[1], 1, "n");
    const auto* x = data<float>(info[0], napi_float32_array, static_cast<size_t>(n) * width_, "x");
    auto* out = data<float>(info[2], napi_float32_array, static_cast<size_t>(n) * classes_, "out");
    const float* logits;
    {
      FlushSubnormals flush;
      logits = live(info).logits(x, n);
    }
    // Outside the flush: a tiny probability stays the subnormal float TensorFlow.js gives, not 0.
    softmaxRows(logits, n, classes_, out);
  }

  // lossAndGrads(x: Float32Array, labels: Int32Array, n, stats: Float64Array)
  void LossAndGrads(const Napi::CallbackInfo& info) {
    const int n = integer(info[2], 1, "n");
    const auto* x = data<float>(info[0], napi_float32_array, static_cast<size_t>(n) * width_, "x");
    const auto* labels = data<int32_t>(info[1], napi_int32_array, n, "labels");
    for (int b = 0; b < n; b++)
      if (labels[b] < 0 || labels[b] >= classes_) throw Napi::RangeError::New(info.Env(), "a label is not a class");
    auto* stats = data<double>(info[3], napi_float64_array, 2, "stats");
    FlushSubnormals flush;
    trainable(info).lossAndGrads(x, labels, n, stats);
  }

  // trainStep(images, labels, order, from, n, t, stats): one whole optimizer step.
  void TrainStep(const Napi::CallbackInfo& info) {
    Rows rows = checkRows(info);
    const double t = info[5].As<Napi::Number>().DoubleValue();
    auto* stats = data<double>(info[6], napi_float64_array, 2, "stats");
    FlushSubnormals flush;
    trainable(info).gatherLossAndGrads(rows.images, rows.labels, rows.order, rows.from, rows.n, stats);
    applyUpdate(optimizer_, t, params_, grads_, moments_[0], moments_[1], mlp_->paramCount());
  }

  // evaluate(images, labels, rows, from, n, stats, predicted | null): a forward pass.
  void Evaluate(const Napi::CallbackInfo& info) {
    Rows rows = checkRows(info);
    auto* stats = data<double>(info[5], napi_float64_array, 2, "stats");
    int32_t* predicted = info[6].IsNull() || info[6].IsUndefined()
                             ? nullptr
                             : data<int32_t>(info[6], napi_int32_array, rows.from + rows.n, "predicted") + rows.from;
    FlushSubnormals flush;
    live(info).evaluate(rows.images, rows.labels, rows.order, rows.from, rows.n, stats, predicted);
  }

  struct Rows {
    const uint8_t* images;
    const uint8_t* labels;
    const uint32_t* order;
    int from, n;
  };

  // The first five arguments of trainStep and evaluate, every row index checked against the set.
  Rows checkRows(const Napi::CallbackInfo& info) {
    const int from = integer(info[3], 0, "from");
    const int n = integer(info[4], 1, "n");
    const auto* labels = data<uint8_t>(info[1], napi_uint8_array, 0, "labels");
    const size_t count = info[1].As<Napi::Uint8Array>().ElementLength();
    const auto* images = data<uint8_t>(info[0], napi_uint8_array, count * width_, "images");
    const auto* order = data<uint32_t>(info[2], napi_uint32_array, static_cast<size_t>(from) + n, "rows");
    for (int b = 0; b < n; b++) {
      const uint32_t row = order[from + b];
      if (row >= count) throw Napi::RangeError::New(info.Env(), "a row index is past the data set");
      if (labels[row] >= classes_) throw Napi::RangeError::New(info.Env(), "a label is not a class");
    }
    return {images, labels, order, from, n};
  }

  std::unique_ptr<Mlp> mlp_;
  OptimizerConfig optimizer_{};
  float* moments_[2] = {nullptr, nullptr};
  float* params_ = nullptr;
  float* grads_ = nullptr;
  std::vector<Napi::ObjectReference> keep_;
  int width_ = 0;
  int classes_ = 0;
};

// sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): cblas_sgemm, row-major.
void Sgemm(const Napi::CallbackInfo& info) {
  const bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
  const int m = integer(info[2], 1, "m"), n = integer(info[3], 1, "n"), k = integer(info[4], 1, "k");
  const int lda = integer(info[7], 1, "lda"), ldb = integer(info[9], 1, "ldb"), ldc = integer(info[12], 1, "ldc");
  const float alpha = info[5].As<Napi::Number>().FloatValue(), beta = info[10].As<Napi::Number>().FloatValue();
  // Row-major: A is m×k (k×m transposed), B is k×n (n×k transposed), C is m×n.
  const auto* a = data<float>(info[6], napi_float32_array, static_cast<size_t>(ta ? k : m) * lda, "a");
  const auto* b = data<float>(info[8], napi_float32_array, static_cast<size_t>(tb ? n : k) * ldb, "b");
  auto* c = data<float>(info[11], napi_float32_array, static_cast<size_t>(m) * ldc, "c");
  if (lda < (ta ? m : k) || ldb < (tb ? k : n) || ldc < n)
    throw Napi::RangeError::New(info.Env(), "a leading dimension is too small");
  FlushSubnormals flush;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda,
              b, ldb, beta, c, ldc);
}

// update(optimizer, t, params, grads, buffers): one optimizer step over a flat vector.
void Update(const Napi::CallbackInfo& info) {
  const auto config = optimizerConfig(info[0].As<Napi::Object>());
  const double t = info[1].As<Napi::Number>().DoubleValue();
  const size_t n = info[2].As<Napi::Float32Array>().ElementLength();
  auto* params = data<float>(info[2], napi_float32_array, n, "params");
  const auto* grads = data<float>(info[3], napi_float32_array, n, "grads");
  auto buffers = info[4].As<Napi::Array>();
  float* moments[2] = {nullptr, nullptr};
  const uint32_t needed = momentsNeeded(config.kind);
  if (buffers.Length() < needed) throw Napi::RangeError::New(info.Env(), "missing optimizer buffers");
  for (uint32_t i = 0; i < needed; i++) moments[i] = data<float>(buffers.Get(i), napi_float32_array, n, "buffer");
  FlushSubnormals flush;
  applyUpdate(config, t, params, grads, moments[0], moments[1], n);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One BLAS thread per process: each training job is a process of its own, one per core.
  openblas_set_num_threads(1);
  exports.Set("Mlp", MlpWrap::Define(env));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("update", Napi::Function::New(env, Update));
  exports.Set("setThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                openblas_set_num_threads(integer(info[0], 1, "threads"));
              }));
  exports.Set("threads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), openblas_get_num_threads());
              }));
  exports.Set("blasConfig", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::String::New(info.Env(), openblas_get_config());
              }));
  return exports;
}

}  // namespace

NODE_API_MODULE(trainyard_native, Init)
