// The MLP training step over buffers owned by JavaScript: every matrix product goes to
// OpenBLAS (cblas_sgemm); bias, activation, softmax cross-entropy and the optimizer update are
// plain loops over the same memory, so one call does a whole step without crossing into JS.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

enum class Activation { Relu = 0, Tanh = 1, Sigmoid = 2, Elu = 3 };
enum class OptimizerKind { Sgd = 0, Adam = 1, Rmsprop = 2 };

struct OptimizerConfig {
  OptimizerKind kind;
  double lr, beta1, beta2, epsilon, decay;
};

// One optimizer step over `n` parameters; `t` is the step number, counted from 1 (Adam's bias
// correction); a and b are the moment buffers the optimizer needs (Adam: m and v; RMSprop: a).
void applyUpdate(const OptimizerConfig& c, double t, float* params, const float* grads, float* a, float* b,
                 size_t n);

// Softmax of each row of logits [n, classes] into out, in double, stored as float.
void softmaxRows(const float* logits, int n, int classes, float* out);

class Mlp {
 public:
  // sizes: 784, hidden..., 10. params and grads: kernel then bias of each layer, input to output;
  // grads may be null for an MLP that only infers.
  Mlp(std::vector<int> sizes, Activation act, float* params, float* grads);

  // Gradients of the mean softmax cross-entropy of the batch x [n, sizes[0]] into grads;
  // adds the batch's loss sum and correct predictions to stats[0], stats[1].
  void lossAndGrads(const float* x, const int32_t* labels, int n, double* stats);
  // Gathers rows `order[from..from+n)` of a uint8 image set, normalised as the recipe says,
  // then lossAndGrads on them.
  void gatherLossAndGrads(const uint8_t* images, const uint8_t* labels, const uint32_t* order, int from, int n,
                          double* stats);
  // Forward pass only: loss and correct predictions, and the predicted classes if asked.
  void evaluate(const uint8_t* images, const uint8_t* labels, const uint32_t* rows, int from, int n,
                double* stats, int32_t* predicted);
  // Forward pass of x [n, sizes[0]] (already normalised): the output layer's logits [n, classes],
  // valid until the next pass.
  const float* logits(const float* x, int n);
  size_t paramCount() const { return count_; }

 private:
  void reserve(int n);
  void reserveOutputs(int n);
  void gather(const uint8_t* images, const uint8_t* labels, const uint32_t* rows, int from, int n);
  const float* forward(const float* x, int n);
  void lossAndDelta(int n, const int32_t* labels, double* stats, int32_t* predicted, bool wantDelta);

  std::vector<int> sizes_;
  Activation act_;
  float* params_;
  float* grads_;
  size_t count_ = 0;
  std::vector<size_t> offsets_;  // where each layer's kernel starts in params
  int capacity_ = 0;     // rows of the training buffers
  int outCapacity_ = 0;  // rows of the layer outputs
  std::vector<float> input_;               // a gathered batch
  std::vector<int32_t> labels_;            // its labels
  std::vector<std::vector<float>> outs_;   // each layer's output (activations), logits last
  std::vector<float> delta_, deltaPrev_;   // error signal of the layer being back-propagated
};
