// A model written by hand in the layer IR (three filters, one of them half
// zero as a pruned one is, a max pool, a fully-connected layer of five
// units): --export-tflite writes TFLite builtin operators with the layer
// IR's quantization, the file passes the FlatBuffers verifier, imports back
// to the same layer ops and computes the same bytes.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: tinyprune-translate --export-tflite %s -o %t/model.tflite
// RUN: tflite-verify %t/model.tflite | FileCheck %s --check-prefix=VERIFY
// VERIFY: model.tflite: ok: 4 operators, 10 tensors, 6 buffers, 154 bytes of constants
//
// RUN: "$FLATC" -t --strict-json --raw-binary -o %t %S/../../../lib/Import/tflite.fbs -- %t/model.tflite
// RUN: FileCheck %s --check-prefix=JSON < %t/model.json
// JSON:      "builtin_code": "CONV_2D"
// JSON:      "builtin_code": "MAX_POOL_2D"
// JSON:      "builtin_code": "RESHAPE"
// JSON:      "builtin_code": "FULLY_CONNECTED"
// The weights keep their per-channel scales.
// JSON:      "buffer": 1,
// JSON-NEXT: "name": "{{.*}}",
// JSON-NEXT: "quantization": {
// JSON-NEXT:   "scale": [
// JSON-NEXT:   0.25,
// JSON-NEXT:   0.125,
// JSON-NEXT:   0.25
// JSON-NEXT: ],
// The convolution: SAME (the default, not printed), RELU fused (the clamp
// [-1, 127] is RELU's range at zero point -1).
// JSON:      "builtin_options_type": "Conv2DOptions"
// JSON-NEXT: "builtin_options": {
// JSON-NEXT:   "stride_w": 1,
// JSON-NEXT:   "stride_h": 1,
// JSON-NEXT:   "fused_activation_function": "RELU"
// JSON:      "builtin_options_type": "Pool2DOptions"
// JSON-NEXT: "builtin_options": {
// JSON-NEXT:   "padding": "VALID",
// JSON:      "builtin_options_type": "FullyConnectedOptions"
//
// RUN: tinyprune-translate --import-tflite %t/model.tflite -o %t/back.mlir
// RUN: tinyprune-opt --tinyprune-raise-to-layers %t/back.mlir | FileCheck %s --check-prefix=BACK
// BACK: tinyprune.conv2d {{.*}}multiplier = array<i32: 1073741824, 1073741824, 1073741824>{{.*}}shift = array<i8: 32, 33, 32>
// BACK: tinyprune.max_pool2d
// The importer writes one multiplier per unit, all equal here.
// BACK: tinyprune.conv2d {{.*}}multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>{{.*}}shift = array<i8: 33, 33, 33, 33, 33>
//
// RUN: %python -c "import sys; sys.stdout.buffer.write(bytes(range(0, 256, 8)))" > %t/in.bin
// RUN: tinyprune run %s --input %t/in.bin --output %t/a.bin
// RUN: tinyprune run %t/model.tflite --input %t/in.bin --output %t/b.bin
// RUN: cmp %t/a.bin %t/b.bin

func.func @main(%x: tensor<1x4x4x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -1>})
    -> (tensor<1x5xi8> {tinyprune.quant = #tinyprune.quant<scale = 1.0, zero_point = 3>}) {
  %w = "tosa.const"() {values = dense<"0xA312594E4491C29FFF43F4F927E24AB699FD006500E4001C0045003300C5004E0018009B67D2888687270B837162E230B879ED3A8808"> : tensor<3x3x3x2xi8>} : () -> tensor<3x3x3x2xi8>
  %b = "tosa.const"() {values = dense<[1, -2, 3]> : tensor<3xi32>} : () -> tensor<3xi32>
  %c = tinyprune.conv2d %x, %w, %b {
      pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>,
      dilation = array<i64: 1, 1>, min_val = -1 : i8, max_val = 127 : i8,
      input_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>,
      weight_quant = #tinyprune.quant<axis = 0, scale = [0.25, 0.125, 0.25], zero_point = [0, 0, 0]>,
      output_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>,
      multiplier = array<i32: 1073741824, 1073741824, 1073741824>,
      shift = array<i8: 32, 33, 32>}
    : (tensor<1x4x4x2xi8>, tensor<3x3x3x2xi8>, tensor<3xi32>) -> tensor<1x4x4x3xi8>
  %p = tinyprune.max_pool2d %c {
      kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
      pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8,
      quant = #tinyprune.quant<scale = 0.5, zero_point = -1>}
    : (tensor<1x4x4x3xi8>) -> tensor<1x2x2x3xi8>
  %s1 = tosa.const_shape {values = dense<[1, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %flat = tosa.reshape %p, %s1 : (tensor<1x2x2x3xi8>, !tosa.shape<2>) -> tensor<1x12xi8>
  %s2 = tosa.const_shape {values = dense<[1, 1, 1, 12]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %r4 = tosa.reshape %flat, %s2 : (tensor<1x12xi8>, !tosa.shape<4>) -> tensor<1x1x1x12xi8>
  %fw = "tosa.const"() {values = dense<"0xB944F171FF0EBCD9BC2EB943F674CB6E86EB576B0F6D259AB0227F3A5DCC9F3FD666397A37017078ED02556A2CB1CEC9177A6200597102E5175B89FB"> : tensor<5x1x1x12xi8>} : () -> tensor<5x1x1x12xi8>
  %fb = "tosa.const"() {values = dense<[10, -20, 30, -40, 50]> : tensor<5xi32>} : () -> tensor<5xi32>
  %f = tinyprune.conv2d %r4, %fw, %fb {
      pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>,
      dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8,
      input_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>,
      weight_quant = #tinyprune.quant<scale = 0.25, zero_point = 0>,
      output_quant = #tinyprune.quant<scale = 1.0, zero_point = 3>,
      multiplier = array<i32: 1073741824>, shift = array<i8: 33>}
    : (tensor<1x1x1x12xi8>, tensor<5x1x1x12xi8>, tensor<5xi32>) -> tensor<1x1x1x5xi8>
  %s3 = tosa.const_shape {values = dense<[1, 5]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %f, %s3 : (tensor<1x1x1x5xi8>, !tosa.shape<2>) -> tensor<1x5xi8>
  return %y : tensor<1x5xi8>
}
