// `tinyprune run` and `compile` refuse functions whose arguments or results
// raw buffers cannot carry, with one line naming the argument or result
// and its type (issue 18): no crash, no "needs -1 bytes", no bytes changed
// on the way through, no output left.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: printf '\000\002\003\004' > %t/in4.bin
//
// RUN: %expect_exit 1 tinyprune run %s --function scalar --input %t/in4.bin --output %t/o.bin 2>&1 | FileCheck %s --check-prefix=SCALAR --implicit-check-not={{.}}
// RUN: %expect_exit 1 tinyprune compile %s --function scalar -o %t/gen 2>&1 | FileCheck %s --check-prefix=SCALAR --implicit-check-not={{.}}
// SCALAR: tinyprune: {{.*}}error: argument 0 of @scalar ('i32') is not a ranked tensor
//
// RUN: %expect_exit 1 tinyprune run %s --function dynamic --input %t/in4.bin --output %t/o.bin 2>&1 | FileCheck %s --check-prefix=DYN --implicit-check-not={{.}}
// RUN: %expect_exit 1 tinyprune compile %s --function dynamic -o %t/gen 2>&1 | FileCheck %s --check-prefix=DYN --implicit-check-not={{.}}
// DYN: tinyprune: {{.*}}error: argument 0 of @dynamic ('tensor<?x28x28x1xi8>') has a dynamic shape
//
// RUN: %expect_exit 1 tinyprune run %s --function unranked --input %t/in4.bin --output %t/o.bin 2>&1 | FileCheck %s --check-prefix=UNRANKED --implicit-check-not={{.}}
// UNRANKED: tinyprune: {{.*}}error: argument 0 of @unranked ('tensor<*xi8>') is not a ranked tensor
//
// RUN: %expect_exit 1 tinyprune run %s --function bool --input %t/in4.bin --output %t/o.bin 2>&1 | FileCheck %s --check-prefix=BOOL --implicit-check-not={{.}}
// RUN: %expect_exit 1 tinyprune compile %s --function bool -o %t/gen 2>&1 | FileCheck %s --check-prefix=BOOL --implicit-check-not={{.}}
// BOOL: tinyprune: {{.*}}error: argument 0 of @bool ('tensor<4xi1>') has elements of a type raw buffers do not carry (i8, i16, i32, i64 and f32 do)
//
// RUN: %expect_exit 1 tinyprune run %s --function half --input %t/in4.bin --output %t/o.bin 2>&1 | FileCheck %s --check-prefix=HALF --implicit-check-not={{.}}
// HALF: tinyprune: {{.*}}error: argument 0 of @half ('tensor<2xf16>') has elements of a type raw buffers do not carry (i8, i16, i32, i64 and f32 do)
//
// A result is checked as well.
// RUN: %expect_exit 1 tinyprune compile %s --function bool_result -o %t/gen 2>&1 | FileCheck %s --check-prefix=RESULT --implicit-check-not={{.}}
// RESULT: tinyprune: {{.*}}error: result 0 of @bool_result ('tensor<4xi1>') has elements of a type raw buffers do not carry (i8, i16, i32, i64 and f32 do)
//
// RUN: not test -e %t/o.bin
// RUN: not test -e %t/gen
//
// What raw buffers carry passes through unchanged.
// RUN: tinyprune run %s --function bytes --input %t/in4.bin --output %t/o.bin
// RUN: cmp %t/in4.bin %t/o.bin

func.func @scalar(%a: i32) -> i32 {
  return %a : i32
}

func.func @dynamic(%a: tensor<?x28x28x1xi8>) -> tensor<?x28x28x1xi8> {
  return %a : tensor<?x28x28x1xi8>
}

func.func @unranked(%a: tensor<*xi8>) -> tensor<*xi8> {
  return %a : tensor<*xi8>
}

func.func @bool(%a: tensor<4xi1>) -> tensor<4xi1> {
  return %a : tensor<4xi1>
}

func.func @half(%a: tensor<2xf16>) -> tensor<2xf16> {
  return %a : tensor<2xf16>
}

func.func @bool_result(%a: tensor<4xi8>) -> tensor<4xi1> {
  %z = "tosa.const"() <{values = dense<0> : tensor<4xi8>}> : () -> tensor<4xi8>
  %b = tosa.greater %a, %z : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  return %b : tensor<4xi1>
}

func.func @bytes(%a: tensor<4xi8>) -> tensor<4xi8> {
  return %a : tensor<4xi8>
}
