//===- lstm.h - int8 UNIDIRECTIONAL_SEQUENCE_LSTM ---------------*- C++ -*-===//
//
// TFLite Micro's integer LSTM (`lstm_eval.h`, the "8x8->16" kernel): int8
// input, hidden state and output, int8 weights, int32 biases, an int16 cell
// state with a power-of-two scale. Every time step computes, per gate,
//
//   gate = sat16(FC(x, W_x) + FC(h, W_h))         in Q3.12 (scale 2^-12)
//
// where each FC is an int32 sum of `w * (v - zero_point)` (plus the bias
// on the input side) requantized to int16 with its own multiplier; then
// sigmoid (forget, input, output gates) or tanh (cell gate) map Q3.12 to
// Q0.15 with TFLite's int16 lookup-table kernels. The cell state becomes
// `sat16(f * c + i * g)` (two requantized products), clipped to the
// quantized `cell_clip` if there is one, and the hidden state
// `o * tanh(c)` requantized to the int8 hidden scale. The output at each
// step is the hidden state.
//
// The state (hidden and cell) lives in the caller's scratch and starts at
// TFLite Micro's reset values (hidden = its zero point, cell = 0) on each
// call: what TFLite Micro computes on a fresh interpreter or after
// ResetVariableTensors.
//
// The kernel runs on the device (no libm, no heap, no exceptions). The
// prepare function runs on the host, at compile or run time; it uses <cmath>
// and is compiled out when TINYPRUNE_RT_DEVICE_ONLY is defined.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_LSTM_H
#define TINYPRUNE_RT_LSTM_H

#include "tinyprune/rt/fixedpoint.h"

#include <cstdint>
#include <string.h>

#ifndef TINYPRUNE_RT_DEVICE_ONLY
#include "tinyprune/rt/quant_params.h"

#include <cmath>
#endif

namespace tinyprune {
namespace rt {

/// Gates in TFLite's operand order.
enum LstmGate {
  kLstmInputGate = 0,
  kLstmForgetGate,
  kLstmCellGate,
  kLstmOutputGate
};

/// The integer parameters of the int8 LSTM (TFLite Micro's OpDataLSTM).
/// Multipliers use TFLite's exponent convention (positive = left shift).
struct LstmInt8Params {
  int32_t batch, time, inputSize, hidden;
  /// Input and output are [time, batch, *] rather than [batch, time, *].
  bool timeMajor;
  int32_t inputZeroPoint, hiddenZeroPoint;
  /// Per gate: the input FC and the recurrent FC to Q3.12.
  int32_t inputMultiplier[4], inputShift[4];
  int32_t recurrentMultiplier[4], recurrentShift[4];
  /// forget * cell -> cell, input * cell gate -> cell, output * tanh(cell)
  /// -> hidden (int8, with the hidden zero point).
  int32_t forgetCellMultiplier, forgetCellShift;
  int32_t inputCellMultiplier, inputCellShift;
  int32_t hiddenMultiplier, hiddenShift;
  /// The cell state scale is 2^cellScalePower.
  int32_t cellScalePower;
  /// The cell state is clipped to [-cellClip, cellClip] (the quantized
  /// cell_clip); negative when the model does not clip.
  int32_t cellClip;
};

/// The constant operands, in TFLite's order: weights [hidden, inputSize]
/// and [hidden, hidden] per gate, and int32 biases [hidden].
struct LstmInt8Weights {
  const int8_t *input[4];
  const int8_t *recurrent[4];
  const int32_t *bias[4];
};

/// Bytes of scratch `lstmInt8` needs: the cell state (int16), the hidden
/// state (int8) and one int16 buffer per gate for the rows of a step.
inline int32_t lstmInt8ScratchBytes(int32_t batch, int32_t hidden,
                                    bool timeMajor) {
  const int32_t stepRows = timeMajor ? batch : 1;
  return 2 * batch * hidden + 4 * 2 * stepRows * hidden + batch * hidden;
}

namespace lstm_detail {

/// sigmoid(i / 24) in 0.16 fixed point for i in [0, 256): the table of
/// TFLite's int16 logistic and tanh kernels (`sigmoid_table_uint16` in
/// tensorflow/lite/kernels/internal/common.h). The values are TFLite's,
/// not a rounding of the formula (44 of them differ from the nearest
/// integer by one), so they are part of the arithmetic to reproduce.
static const uint16_t kSigmoidTable[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535};

/// TFLite's int16 logistic (reference_integer_ops::Logistic) with the
/// power-of-two input scaling the LSTM uses (Q3.12 in, Q0.15 out): the
/// input times 3 indexes the table in steps of 2^9, with linear
/// interpolation and symmetric handling of negative inputs.
inline int16_t sigmoidQ12(int16_t x) {
  const int32_t v = static_cast<int32_t>(x) * 3;
  const uint32_t a = static_cast<uint32_t>(v < 0 ? -v : v);
  const uint32_t hi = a >> 9;
  uint32_t r;
  if (hi >= 255) {
    r = 0x7FFFu << 10;
  } else {
    const uint32_t lo = kSigmoidTable[hi], up = kSigmoidTable[hi + 1];
    r = (lo << 9) + (a & 0x1FFu) * (up - lo);
  }
  r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
  return static_cast<int16_t>(r >> 10);
}

/// TFLite's int16 tanh (reference_integer_ops::Tanh) of a value with scale
/// 2^scalePower, called as TFLite Micro's LSTM calls it: the input is first
/// brought to a 3/4-scaled Q4.11-like index, by a multiplication by
/// 3 * 2^shift when `15 + scalePower - 3 = shift >= 0`, or by 3 with a
/// rounding right shift otherwise.
inline int16_t tanhPow2(int16_t x, int32_t scalePower) {
  int32_t shift = 15 + scalePower - 3;
  int32_t multiplier = 0;
  if (shift < 0) {
    shift = -shift;
    multiplier = 3;
  }
  if (multiplier == 0) {
    multiplier = 3 << shift;
    shift = 0;
  }
  const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
  const int32_t v = (static_cast<int32_t>(x) * multiplier + round) >> shift;
  const uint32_t a = static_cast<uint32_t>(v < 0 ? -v : v);
  const uint32_t hi = a >> 8;
  int32_t r;
  if (hi >= 255) {
    r = 0xFFFF << 8;
  } else {
    const uint32_t lo = kSigmoidTable[hi], up = kSigmoidTable[hi + 1];
    r = static_cast<int32_t>((lo << 8) + (a & 0xFFu) * (up - lo));
  }
  r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return static_cast<int16_t>(r >> 8);
}

inline int32_t sat16(int32_t v) { return clamp(v, INT16_MIN, INT16_MAX); }

/// One gate for `rows` rows: the two FCs, their saturating sum and the
/// activation, into `out` [rows, hidden].
inline void gate(const LstmInt8Params &p, const LstmInt8Weights &w, int g,
                 int32_t rows, const int8_t *x, const int8_t *h, bool tanhAct,
                 int16_t *out) {
  const int32_t n = p.hidden, in = p.inputSize;
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t *xr = x + r * in;
    const int8_t *hr = h + r * n;
    for (int32_t o = 0; o < n; ++o) {
      const int8_t *wx = w.input[g] + o * in;
      int32_t acc = 0;
      for (int32_t d = 0; d < in; ++d)
        acc += static_cast<int32_t>(wx[d]) *
               (static_cast<int32_t>(xr[d]) - p.inputZeroPoint);
      acc += w.bias[g][o];
      const int32_t fromInput = sat16(multiplyByQuantizedMultiplier(
          acc, p.inputMultiplier[g], p.inputShift[g]));
      const int8_t *wh = w.recurrent[g] + o * n;
      acc = 0;
      for (int32_t d = 0; d < n; ++d)
        acc += static_cast<int32_t>(wh[d]) *
               (static_cast<int32_t>(hr[d]) - p.hiddenZeroPoint);
      const int32_t fromState = sat16(multiplyByQuantizedMultiplier(
          acc, p.recurrentMultiplier[g], p.recurrentShift[g]));
      const int16_t pre = static_cast<int16_t>(sat16(fromInput + fromState));
      out[r * n + o] = tanhAct ? tanhPow2(pre, -12) : sigmoidQ12(pre);
    }
  }
}

} // namespace lstm_detail

/// The int8 LSTM over the whole sequence. `input` is [batch, time,
/// inputSize] ([time, batch, inputSize] when time major), `output` the same
/// with `hidden` columns; `scratch` holds lstmInt8ScratchBytes bytes,
/// 2-byte aligned.
inline void lstmInt8(const LstmInt8Params &p, const LstmInt8Weights &w,
                     const int8_t *input, int8_t *output, void *scratch) {
  using namespace lstm_detail;
  const int32_t n = p.hidden;
  const int32_t stepRows = p.timeMajor ? p.batch : 1;
  int16_t *cell = static_cast<int16_t *>(scratch);
  int16_t *gates = cell + p.batch * n;
  int16_t *fg = gates, *ig = gates + stepRows * n,
          *cg = gates + 2 * stepRows * n, *og = gates + 3 * stepRows * n;
  int8_t *state = reinterpret_cast<int8_t *>(gates + 4 * stepRows * n);
  memset(cell, 0, sizeof(int16_t) * p.batch * n);
  memset(state, p.hiddenZeroPoint, p.batch * n);

  // Time major: all batches step together. Otherwise each batch runs its
  // whole sequence on its own rows of the state.
  const int32_t outer = p.timeMajor ? 1 : p.batch;
  for (int32_t b = 0; b < outer; ++b) {
    int16_t *c = cell + b * n;
    int8_t *h = state + b * n;
    for (int32_t t = 0; t < p.time; ++t) {
      const int32_t step = p.timeMajor ? t : b * p.time + t;
      const int8_t *x = input + step * stepRows * p.inputSize;
      gate(p, w, kLstmForgetGate, stepRows, x, h, false, fg);
      gate(p, w, kLstmInputGate, stepRows, x, h, false, ig);
      gate(p, w, kLstmCellGate, stepRows, x, h, true, cg);
      gate(p, w, kLstmOutputGate, stepRows, x, h, false, og);
      for (int32_t k = 0; k < stepRows * n; ++k) {
        const int32_t kept = sat16(multiplyByQuantizedMultiplier(
            static_cast<int32_t>(fg[k]) * c[k], p.forgetCellMultiplier,
            p.forgetCellShift));
        const int32_t added = sat16(multiplyByQuantizedMultiplier(
            static_cast<int32_t>(ig[k]) * cg[k], p.inputCellMultiplier,
            p.inputCellShift));
        int32_t next = sat16(kept + added);
        if (p.cellClip >= 0)
          next = clamp(next, -p.cellClip, p.cellClip);
        c[k] = static_cast<int16_t>(next);
        const int32_t squashed = tanhPow2(c[k], p.cellScalePower);
        const int32_t y =
            multiplyByQuantizedMultiplier(squashed * og[k], p.hiddenMultiplier,
                                          p.hiddenShift) +
            p.hiddenZeroPoint;
        h[k] = static_cast<int8_t>(clamp(y, INT8_MIN, INT8_MAX));
      }
      memcpy(output + step * stepRows * n, h, stepRows * n);
    }
  }
}

#ifndef TINYPRUNE_RT_DEVICE_ONLY

/// The quantization an int8 LSTM is prepared from: scales as the file
/// stores them (float), weight scales per tensor in TFLite's operand order
/// (input-to-{input, forget, cell, output}, then recurrent-to-...).
struct LstmInt8Quant {
  int32_t batch, time, inputSize, hidden;
  bool timeMajor;
  float inputScale;
  int32_t inputZeroPoint;
  float hiddenScale;
  int32_t hiddenZeroPoint;
  float cellScale;
  float weightScales[8];
  float cellClip;
};

/// Why the quantization cannot be prepared, or null: the cell state scale
/// must be a power of two (TFLite's CheckedLog2 tolerance) no larger than 1.
inline const char *lstmInt8Problem(const LstmInt8Quant &q) {
  if (!(q.cellScale > 0.0f))
    return "the cell state scale is not positive";
  const float l = std::log(q.cellScale) * (1.0f / std::log(2.0f));
  const float r = std::round(l);
  if (!(std::fabs(l - r) < 1e-3f))
    return "the cell state scale is not a power of two";
  if (r > 0.0f || r < -31.0f)
    return "the cell state scale is outside [2^-31, 1]";
  if (!(q.inputScale > 0.0f) || !(q.hiddenScale > 0.0f))
    return "the input or hidden state scale is not positive";
  for (float s : q.weightScales)
    if (!(s > 0.0f))
      return "a weight scale is not positive";
  return nullptr;
}

/// TFLite Micro's prepare (PrepareGateParametersInteger and
/// CreateLstmCellStateInfo): the FC multipliers map to the fixed gate
/// scale 2^-12 (products of float scales taken in double), the products of
/// Q0.15 gate outputs map to the cell and hidden scales. Call only when
/// lstmInt8Problem(q) is null.
inline LstmInt8Params prepareLstmInt8(const LstmInt8Quant &q) {
  LstmInt8Params p{};
  p.batch = q.batch, p.time = q.time, p.inputSize = q.inputSize;
  p.hidden = q.hidden, p.timeMajor = q.timeMajor;
  p.inputZeroPoint = q.inputZeroPoint, p.hiddenZeroPoint = q.hiddenZeroPoint;
  const float gateScale = 0.000244140625f;       // 2^-12
  const float gateOutScale = 0.000030517578125f; // 2^-15
  auto fc = [&](float in, float weight, int32_t &m, int32_t &s) {
    QuantizedMultiplier qm = quantizeMultiplier(static_cast<double>(in) *
                                                static_cast<double>(weight) /
                                                static_cast<double>(gateScale));
    m = qm.multiplier, s = qm.exponent;
  };
  for (int g = 0; g < 4; ++g) {
    fc(q.inputScale, q.weightScales[g], p.inputMultiplier[g], p.inputShift[g]);
    fc(q.hiddenScale, q.weightScales[4 + g], p.recurrentMultiplier[g],
       p.recurrentShift[g]);
  }
  auto mul = [](float a, float b, float out, int32_t &m, int32_t &s) {
    QuantizedMultiplier qm =
        quantizeMultiplier(static_cast<double>(a) * static_cast<double>(b) /
                           static_cast<double>(out));
    m = qm.multiplier, s = qm.exponent;
  };
  mul(gateOutScale, q.cellScale, q.cellScale, p.forgetCellMultiplier,
      p.forgetCellShift);
  mul(gateOutScale, gateOutScale, q.cellScale, p.inputCellMultiplier,
      p.inputCellShift);
  mul(gateOutScale, gateOutScale, q.hiddenScale, p.hiddenMultiplier,
      p.hiddenShift);
  p.cellScalePower = static_cast<int32_t>(
      std::round(std::log(q.cellScale) * (1.0f / std::log(2.0f))));
  // TFLite Micro quantizes the clip in double and truncates to int16.
  p.cellClip = -1;
  if (q.cellClip > 0.0f) {
    double c =
        static_cast<double>(q.cellClip) / static_cast<double>(q.cellScale);
    c = c < -32768.0 ? -32768.0 : (c > 32767.0 ? 32767.0 : c);
    p.cellClip = static_cast<int16_t>(c);
  }
  return p;
}

#endif // TINYPRUNE_RT_DEVICE_ONLY

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_LSTM_H
